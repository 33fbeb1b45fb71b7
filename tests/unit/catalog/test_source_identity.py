"""Which source a library folder is: the name from source.yaml, else the git remote without credentials, else the
path; bad names are refused with the file that holds them."""
import pytest

from lms.catalog.content import ContentError
from lms.catalog.sources import identify_source, remote_name
from tests.conftest import CONTENT_DIR


@pytest.mark.parametrize("url, name", [
    ("https://github.com/Ecole/content.git", "github.com/Ecole/content"),
    ("https://teacher:s3cret@GitHub.com/ecole/content.git/", "github.com/ecole/content"),
    ("ssh://git@github.com:22/ecole/content.git", "github.com/ecole/content"),
    ("git@github.com:ecole/content.git", "github.com/ecole/content"),
    ("gitlab.example.org:group/sub/content", "gitlab.example.org/group/sub/content"),
    ("file:///srv/git/content.git", "/srv/git/content"),
    ("/srv/git/content.git", "/srv/git/content"),
])
def test_a_remote_names_its_repository_without_credentials_port_or_scheme(url, name, tmp_path):
    assert remote_name(url, tmp_path) == name


def test_a_relative_remote_is_resolved_from_the_checkout(tmp_path):
    assert remote_name("../content.git", tmp_path / "checkout") == str(tmp_path / "content")


def test_the_bundled_library_is_the_bundled_demo_source():
    identity = identify_source(CONTENT_DIR)
    assert (identity.name, identity.named_by, identity.location) == ("bundled-demo", "source.yaml",
                                                                     str(CONTENT_DIR.resolve()))


def test_an_unnamed_folder_is_its_path(tmp_path):
    identity = identify_source(tmp_path)
    assert (identity.name, identity.named_by, identity.kind, identity.git_commit) == (
        str(tmp_path.resolve()), "path", "folder", None)


def test_the_option_wins_over_source_yaml(tmp_path):
    (tmp_path / "source.yaml").write_text("name: from-file\n")
    assert identify_source(tmp_path, "from-option").name == "from-option"
    assert identify_source(tmp_path).name == "from-file"


@pytest.mark.parametrize("text, words", [
    ("name: Ecole Privée\n", "a source name is lowercase letters"),
    ("name: ecole/privee\n", "a source name is lowercase letters"),
    ("name: 2027\n", "a source name is lowercase letters"),
    ("name: ecole\ntitle: Ecole\n", "takes only name"),
    ("- ecole\n", "must be a mapping"),
])
def test_a_bad_source_yaml_is_refused_naming_the_file(tmp_path, text, words):
    (tmp_path / "source.yaml").write_text(text)
    with pytest.raises(ContentError, match=words) as error:
        identify_source(tmp_path)
    assert str(tmp_path / "source.yaml") in str(error.value)
