// The tracer's events are defined three times, in three languages' terms:
// TracerEvent::Type in native/tracer_event.h, the names and fields binding.cc's
// Deliver() gives each (kTypes and o.Set), and NativeEvent in lib/native.ts.
// The compiler checks only that kTypes has one name per enum value
// (static_assert); this checks that the three agree on every event's name and
// fields, so that adding one in one place and not the others fails here.
// Traced calls cross packed ('syscalls': records only, no pid/tid of their
// own), and the record's head size is the same on both sides.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { root } from './helpers.js';

const read = (f: string) => readFileSync(join(root, f), 'utf8');

/** Every event's name -> its fields, as binding.cc delivers them (pid, tid and type on all). */
function nativeSchema(): Map<string, string[]> {
  const header = read('native/tracer_event.h');
  const enumBody = /enum Type : uint8_t \{([^}]*)\}/.exec(header)?.[1];
  expect(enumBody, 'tracer_event.h declares TracerEvent::Type').toBeDefined();
  const enumerators = enumBody!.split(',').map((s) => s.trim()).filter(Boolean);
  const binding = read('native/binding.cc');
  const names = /kTypes\[\] = \{([^}]*)\}/.exec(binding)?.[1]?.match(/"([^"]+)"/g)?.map((s) => s.slice(1, -1));
  expect(names, 'binding.cc has kTypes').toBeDefined();
  expect(names!.length, 'one name per TracerEvent::Type').toBe(enumerators.length);
  const deliver = binding.slice(binding.indexOf('void TracerWrap::Deliver('));
  const out = new Map<string, string[]>();
  enumerators.forEach((k, i) => {
    const fieldsIn = (text: string) => [...text.matchAll(/o\.Set\("(\w+)"/g)].map((m) => m[1]!).filter((f) => f !== 'type');
    if (k === 'kSyscall') {
      // Packed: its own branch before the switch, with no pid/tid of its own.
      const packed = /if \(e\.type == TracerEvent::kSyscall\) \{([\s\S]*?)\n {6}continue;\n {4}\}/.exec(deliver)?.[1];
      expect(packed, 'Deliver() packs kSyscall events').toBeDefined();
      out.set(names![i]!, fieldsIn(packed!).sort());
      return;
    }
    const start = deliver.indexOf(`case TracerEvent::${k}:`);
    expect(start, `Deliver() has a case for ${k}`).toBeGreaterThan(0);
    const rest = deliver.slice(start + 1);
    const end = rest.search(/case TracerEvent::|\n    }\n/);
    out.set(names![i]!, ['pid', 'tid', ...fieldsIn(rest.slice(0, end))].sort());
  });
  return out;
}

/** The same from lib/native.ts's NativeEvent union. */
function tsSchema(): Map<string, string[]> {
  const text = read('lib/native.ts');
  const union = /export type NativeEvent =([\s\S]*?);\n\n/.exec(text)?.[1];
  expect(union, 'lib/native.ts exports NativeEvent').toBeDefined();
  const out = new Map<string, string[]>();
  for (const m of union!.matchAll(/\{ type: '(\w+)';([^}]*)\}/g)) {
    const fields = [...m[2]!.matchAll(/(\w+)\??:/g)].map((f) => f[1]!);
    out.set(m[1]!, fields.sort());
  }
  return out;
}

describe('the tracer event schema', () => {
  it('binding.cc and lib/trace/records.ts agree on the packed record head', () => {
    const native = /constexpr size_t kSyscallRecordHead = (\d+);/.exec(read('native/binding.cc'))?.[1];
    const ts = /const HEAD = (\d+);/.exec(read('lib/trace/records.ts'))?.[1];
    expect(native).toBeDefined();
    expect(ts).toBe(native);
  });

  it('tracer_event.h, binding.cc and lib/native.ts name the same events with the same fields', () => {
    const native = nativeSchema();
    const ts = tsSchema();
    expect([...ts.keys()].sort()).toEqual([...native.keys()].sort());
    for (const [type, fields] of native) expect(ts.get(type), `fields of '${type}'`).toEqual(fields);
  });
});
