'use strict';
// The JavaScript sandbox's harness, run by entry.py in the forked child of a step. Built into a V8 startup snapshot
// at image build (node --build-snapshot): Debian's node has no built-in snapshot, and booting from ours halves the
// start-up every step pays (~100 -> ~50 ms).
//
//   node --snapshot-blob harness.blob calls     the job ({module, calls, call_timeout_ms, load_timeout_ms}) on stdin;
//                                               one JSON record per call on fd 3: {id, value} or
//                                               {id, kind, error[, traceback]}
//   node --snapshot-blob harness.blob program F  runs the learner's file F as the main module (stdin is theirs)
//   node --snapshot-blob harness.blob check F..  compiles the files without running them (a syntax error on stderr)
//
// Nothing here is trusted by the grader, which judges the records outside against values that never entered the
// container. The harness still keeps its reports honest: every reference it uses is taken before the learner's
// module is loaded (so patching JSON, Object.prototype, fs or process changes nothing here), values are copied
// out as plain data in one pass that refuses getters, proxies, class instances and anything JSON cannot carry, and
// each call runs under a timeout that stops a synchronous loop, so that later calls still run.
const fs = require('fs');
const util = require('util');
const v8 = require('v8');

const WORK_DIR = '/work/sub';
const NODE = '/usr/bin/node';
const RECORDS_FD = 3;
const MAX_DEPTH = 64;
const MAX_NODES = 100000;
const MAX_VALUE_CHARS = 256 * 1024;
const MESSAGE_CAP = 500;
const TRACE_CAP = 1500;

function takeReferences() {
  return {
    apply: Reflect.apply,
    ownKeys: Reflect.ownKeys,
    describeOwn: Object.getOwnPropertyDescriptor,
    prototypeOf: Object.getPrototypeOf,
    hasOwn: Object.prototype.hasOwnProperty,
    isArray: Array.isArray,
    stringify: JSON.stringify,
    parse: JSON.parse,
    split: String.prototype.split,
    slice: String.prototype.slice,
    indexOf: String.prototype.indexOf,
    ObjectPrototype: Object.prototype,
    ArrayPrototype: Array.prototype,
    promiseThen: Promise.prototype.then,
    isProxy: util.types.isProxy,
    isPromise: util.types.isPromise,
    writeSync: fs.writeSync,
    readFileSync: fs.readFileSync,
    setTimer: setTimeout,
    clearTimer: clearTimeout,
    setImmediate,
    reallyExit: process.reallyExit,
    onProcess: process.on,
  };
}

let R = null; // the references, taken when the process starts (before any of the learner's code runs)

function cut(text, cap) {
  return text.length > cap ? R.apply(R.slice, text, [0, cap]) : text;
}

// --- plain data out ---------------------------------------------------------------------------------------

// Returns the JSON text of `value`, or a null-prototype {refused, where} when it is not plain data.
function plainJson(value) {
  const ancestors = { __proto__: null };
  let nodes = 0;
  let refusal = null;
  const refuse = (why, where) => {
    refusal = { __proto__: null, refused: why, where: cut(where, 200) };
    return undefined;
  };
  const className = (object) => {
    try {
      const proto = R.prototypeOf(object);
      const constructor = proto && R.describeOwn(proto, 'constructor');
      const name = constructor && R.apply(R.hasOwn, constructor, ['value']) && typeof constructor.value === 'function'
        ? R.describeOwn(constructor.value, 'name') : undefined;
      return name && typeof name.value === 'string' && name.value ? cut(name.value, 60) : 'Object';
    } catch (error) {
      return 'Object';
    }
  };
  const walk = (item, where, depth) => {
    switch (typeof item) {
      case 'string': return R.stringify(item);
      case 'boolean': return item ? 'true' : 'false';
      case 'number':
        if (item !== item) return refuse('NaN', where);
        if (item === Infinity || item === -Infinity) return refuse('Infinity', where);
        return R.stringify(item);
      case 'undefined': return refuse('undefined', where);
      case 'function': return refuse('a function', where);
      case 'symbol': return refuse('a Symbol', where);
      case 'bigint': return refuse('a BigInt', where);
      default: break;
    }
    if (item === null) return 'null';
    if (R.isProxy(item)) return refuse('a Proxy', where);
    if (depth >= MAX_DEPTH) return refuse('nested too deeply', where);
    for (let i = 0; i < depth; i++) {
      if (ancestors[i] === item) return refuse('a cycle', where);
    }
    if (++nodes > MAX_NODES) return refuse('too large', where);
    ancestors[depth] = item;
    const proto = R.prototypeOf(item);
    const keys = R.ownKeys(item);
    let out;
    if (R.isArray(item)) {
      if (proto !== R.ArrayPrototype) return refuse('an instance of ' + className(item), where);
      const length = item.length; // an array's own, non-configurable length: never a getter
      if (keys.length !== length + 1) return refuse('an array with holes or extra properties', where);
      out = '[';
      for (let i = 0; i < length; i++) {
        const at = where + '[' + i + ']';
        const slot = R.describeOwn(item, '' + i);
        if (slot === undefined) return refuse('an array with holes', at);
        if (!R.apply(R.hasOwn, slot, ['value'])) return refuse('a getter', at);
        const text = walk(slot.value, at, depth + 1);
        if (text === undefined) return undefined;
        out += (i ? ',' : '') + text;
        if (out.length > MAX_VALUE_CHARS) return refuse('too large', at);
      }
      return out + ']';
    }
    if (proto !== R.ObjectPrototype && proto !== null) return refuse('an instance of ' + className(item), where);
    out = '{';
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i];
      if (typeof key !== 'string') return refuse('a Symbol key', where);
      const at = where + '.' + cut(key, 40);
      const slot = R.describeOwn(item, key);
      if (!R.apply(R.hasOwn, slot, ['value'])) return refuse('a getter', at);
      if (!slot.enumerable) return refuse('a hidden (non-enumerable) property', at);
      const text = walk(slot.value, at, depth + 1);
      if (text === undefined) return undefined;
      out += (i ? ',' : '') + R.stringify(key) + ':' + text;
      if (out.length > MAX_VALUE_CHARS) return refuse('too large', at);
    }
    return out + '}';
  };
  const text = walk(value, 'result', 0);
  return text === undefined ? refusal : text;
}

// --- the learner's errors -----------------------------------------------------------------------------------

// A data property found on the object or its prototypes, without running any getter of the learner's.
function dataProperty(object, key) {
  for (let level = 0; object && level < 16; level++) {
    if (R.isProxy(object)) return undefined;
    const slot = R.describeOwn(object, key);
    if (slot) return R.apply(R.hasOwn, slot, ['value']) ? slot.value : undefined;
    object = R.prototypeOf(object);
  }
  return undefined;
}

function primitiveText(value) {
  return typeof value === 'symbol' ? 'a Symbol' : cut('' + value, MESSAGE_CAP);
}

// The learner's frames only: lines of the message and code frame, and stack frames in the work dir.
function learnerTrace(stack) {
  const lines = R.apply(R.split, stack, ['\n']);
  let out = '';
  for (let i = 0; i < lines.length && out.length < TRACE_CAP; i++) {
    const line = lines[i];
    const isFrame = R.apply(R.indexOf, line, ['    at ']) === 0;
    if (!isFrame || R.apply(R.indexOf, line, [WORK_DIR + '/']) >= 0) out += line + '\n';
  }
  return cut(out, TRACE_CAP);
}

// {kind, error: "Name: message", traceback} of something thrown by the learner's code.
function thrownFields(kind, thrown) {
  let name = 'Error';
  let message = '';
  let stack = '';
  try {
    if (thrown !== null && (typeof thrown === 'object' || typeof thrown === 'function')) {
      const ownName = dataProperty(thrown, 'name');
      const ownMessage = dataProperty(thrown, 'message');
      const ownStack = dataProperty(thrown, 'stack');
      if (typeof ownName === 'string' && ownName) name = cut(ownName, 100);
      if (typeof ownMessage === 'string') message = cut(ownMessage, MESSAGE_CAP);
      if (typeof ownStack === 'string') stack = learnerTrace(ownStack);
      if (R.isProxy(thrown)) message = '(a Proxy was thrown)';
    } else {
      name = 'Uncaught';
      message = primitiveText(thrown);
    }
  } catch (error) {
    message = '(unreadable error)';
  }
  return { __proto__: null, kind, error: cut(message ? name + ': ' + message : name, MESSAGE_CAP), traceback: stack };
}

// --- records ------------------------------------------------------------------------------------------

function recordLine(id, fields) {
  let line = '{"id":' + R.stringify(id);
  if (fields.valueJson !== undefined) return line + ',"value":' + fields.valueJson + '}\n';
  line += ',"kind":' + R.stringify(fields.kind) + ',"error":' + R.stringify(fields.error);
  if (fields.traceback) line += ',"traceback":' + R.stringify(fields.traceback);
  if (fields.detail) line += ',"detail":' + R.stringify(fields.detail);
  return line + '}\n';
}

function writeRecord(line) {
  try {
    R.writeSync(RECORDS_FD, line);
  } catch (error) {
    // fd 3 closed by the learner's code: the record is missing, and the check fails.
  }
}

function valueFields(value) {
  const json = plainJson(value);
  if (typeof json === 'string') return { __proto__: null, valueJson: json };
  if (json.refused === 'undefined' && json.where === 'result') {
    return { __proto__: null, kind: 'undefined', error: 'the function returned undefined' };
  }
  return { __proto__: null, kind: 'not_plain', error: 'not plain data: ' + json.where + ' is ' + json.refused,
           detail: json.refused };
}

// --- calls --------------------------------------------------------------------------------------------

function runCalls() {
  const job = R.parse(R.readFileSync(0, 'utf8'));
  const calls = job.calls;
  const timeoutMs = job.call_timeout_ms > 0 ? job.call_timeout_ms : 1000;
  // Loading the module (its requires, its top-level code) may take longer than a call, on a busy machine.
  const loadTimeoutMs = job.load_timeout_ms > timeoutMs ? job.load_timeout_ms : timeoutMs;
  // Each call's arguments as text, parsed afresh before the call: a call that mutates its arguments changes no
  // other call's, and nothing the learner patches is in the way of JSON.parse.
  const argsText = { __proto__: null };
  for (let i = 0; i < calls.length; i++) argsText[i] = R.stringify(calls[i].args || []);
  const vm = require('vm');
  const Module = require('module');
  const learnerRequire = Module.createRequire(WORK_DIR + '/');
  // A synchronous loop is stopped by running each call inside a script with a timeout (V8 terminates whatever
  // runs, learner code included, and the learner cannot catch that). The task runs in our realm.
  // Script.prototype.runInContext and the options' prototype are the learner's to patch: ours are taken now.
  const context = vm.createContext({});
  const script = new vm.Script('run()', { filename: 'lms-harness' });
  const runInContext = vm.Script.prototype.runInContext;
  const runOptions = { __proto__: null, timeout: timeoutMs, breakOnSigint: false, displayErrors: false };
  let task = null;
  context.run = () => task();
  const loadOptions = { __proto__: null, timeout: loadTimeoutMs, breakOnSigint: false, displayErrors: false };
  const TIMED_OUT = { __proto__: null };
  const timed = (fn, options = runOptions) => {
    task = fn;
    try {
      return R.apply(runInContext, script, [context, options]);
    } catch (error) {
      return TIMED_OUT; // only V8's termination gets here: `fn` catches everything the learner's code throws
    }
  };
  const timeoutFields = { __proto__: null, kind: 'timeout', error: 'timeout' };

  let exportsObject;
  const loadFailure = timed(() => {
    try {
      exportsObject = learnerRequire(WORK_DIR + '/' + job.module);
      return null;
    } catch (error) {
      return thrownFields('import', error);
    }
  }, loadOptions);
  if (loadFailure !== null) {
    const fields = loadFailure === TIMED_OUT
      ? { __proto__: null, kind: 'timeout', error: 'timeout while loading the module' } : loadFailure;
    for (let i = 0; i < calls.length; i++) writeRecord(recordLine(calls[i].id, fields));
    R.reallyExit(1);
  }
  // The learner's stray errors (a timer's, a promise nobody awaits) must not end the remaining calls.
  R.apply(R.onProcess, process, ['uncaughtException', () => {}]);
  R.apply(R.onProcess, process, ['unhandledRejection', () => {}]);

  const finish = () => R.reallyExit(0); // no 'exit' listener of the learner's runs
  const next = (index) => {
    if (index >= calls.length) return finish();
    const call = calls[index];
    let pending = null;
    const fields = timed(() => {
      try {
        const holder = exportsObject;
        const slot = holder !== null && (typeof holder === 'object' || typeof holder === 'function')
          ? R.describeOwn(holder, call.function) : undefined;
        if (!slot || !R.apply(R.hasOwn, slot, ['value']) || typeof slot.value !== 'function') {
          return { __proto__: null, kind: 'no_function', error: call.function + ' is not an exported function' };
        }
        const result = R.apply(slot.value, holder, R.parse(argsText[index]));
        if (R.isPromise(result)) {
          pending = result;
          return null;
        }
        return valueFields(result);
      } catch (error) {
        return thrownFields('thrown', error);
      }
    });
    if (fields === TIMED_OUT) {
      writeRecord(recordLine(call.id, timeoutFields));
      return next(index + 1);
    }
    if (pending === null) {
      writeRecord(recordLine(call.id, fields));
      return next(index + 1);
    }
    // An async function: its promise, awaited up to the same timeout. (A busy loop of microtasks that starved
    // the timer would be ended by the step's wall limit.)
    let settled = false;
    const settle = (makeFields) => {
      if (settled) return;
      settled = true;
      R.clearTimer(timer);
      const settledFields = timed(makeFields);
      writeRecord(recordLine(call.id, settledFields === TIMED_OUT ? timeoutFields : settledFields));
      // From the event loop, not from here: V8 may run this reaction inside a timed() of ours, whose timeout
      // must not cover the next call.
      R.setImmediate(() => next(index + 1));
    };
    const timer = R.setTimer(() => settle(() => timeoutFields), timeoutMs);
    const registered = timed(() => {
      try {
        R.apply(R.promiseThen, pending, [
          (value) => settle(() => valueFields(value)),
          (error) => settle(() => thrownFields('thrown', error)),
        ]);
        return null;
      } catch (error) {
        return thrownFields('thrown', error);
      }
    });
    if (registered !== null) settle(() => (registered === TIMED_OUT ? timeoutFields : registered));
    return undefined;
  };
  next(0);
}

// --- programs and syntax checks -----------------------------------------------------------------------------

function runProgram(file) {
  const Module = require('module');
  process.argv.length = 1;
  process.argv[1] = file;
  try {
    Module._load(file, null, true); // as `node file` does: require.main is the learner's module
  } catch (error) {
    // What node would print, with the learner's frames only (node's own would end with ours).
    const fields = thrownFields('thrown', error);
    writeStderr((fields.traceback || fields.error) + '\n');
    R.reallyExit(1);
  }
}

function writeStderr(text) {
  try {
    R.writeSync(2, text);
  } catch (error) {
    // stderr closed by the learner's code: nothing to tell
  }
}

function checkSyntax(files) {
  const vm = require('vm');
  let failed = false;
  for (let i = 0; i < files.length; i++) {
    try {
      vm.compileFunction(fs.readFileSync(files[i], 'utf8'), ['exports', 'require', 'module', '__filename',
        '__dirname'], { filename: files[i] });
    } catch (error) {
      failed = true;
      writeStderr(thrownFields('syntax', error).traceback || String(error) + '\n');
    }
  }
  process.exitCode = failed ? 1 : 0;
}

// `first`: where the harness's own arguments start in process.argv (after the script's path when not snapshotted).
function main(first) {
  R = takeReferences();
  // Started by node::Start inside the entry's forked child (entry.py), node takes /proc/self/exe, Python, for its
  // own binary: child_process.fork() and the learner's process.execPath need node's.
  process.execPath = NODE;
  process.argv[0] = NODE;
  const mode = process.argv[first];
  const operands = process.argv.slice(first + 1);
  if (mode === 'calls') return runCalls();
  if (mode === 'program') return runProgram(operands[0]);
  if (mode === 'check') return checkSyntax(operands);
  fs.writeSync(2, 'harness: unknown mode\n');
  process.exitCode = 2;
  return undefined;
}

if (v8.startupSnapshot && v8.startupSnapshot.isBuildingSnapshot()) {
  v8.startupSnapshot.setDeserializeMainFunction(() => main(1));
} else {
  main(2);
}
