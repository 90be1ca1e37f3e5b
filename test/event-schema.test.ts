// The tracer's events are defined three times, in three languages' terms:
// TracerEvent::Type in native/tracer.h, the names and fields binding.cc's
// Deliver() gives each (kTypes and o.Set), and NativeEvent in lib/native.ts.
// The compiler checks only that kTypes has one name per enum value
// (static_assert); this checks that the three agree on every event's name and
// fields, so that adding one in one place and not the others fails here.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { root } from './helpers.js';

const read = (f: string) => readFileSync(join(root, f), 'utf8');

/** Every event's name -> its fields, as binding.cc delivers them (pid, tid and type on all). */
function nativeSchema(): Map<string, string[]> {
  const header = read('native/tracer.h');
  const enumBody = /enum Type : uint8_t \{([^}]*)\}/.exec(header)?.[1];
  expect(enumBody, 'tracer.h declares TracerEvent::Type').toBeDefined();
  const enumerators = enumBody!.split(',').map((s) => s.trim()).filter(Boolean);
  const binding = read('native/binding.cc');
  const names = /kTypes\[\] = \{([^}]*)\}/.exec(binding)?.[1]?.match(/"([^"]+)"/g)?.map((s) => s.slice(1, -1));
  expect(names, 'binding.cc has kTypes').toBeDefined();
  expect(names!.length, 'one name per TracerEvent::Type').toBe(enumerators.length);
  const deliver = binding.slice(binding.indexOf('void TracerWrap::Deliver('));
  const out = new Map<string, string[]>();
  enumerators.forEach((k, i) => {
    const start = deliver.indexOf(`case TracerEvent::${k}:`);
    expect(start, `Deliver() has a case for ${k}`).toBeGreaterThan(0);
    const rest = deliver.slice(start + 1);
    const end = rest.search(/case TracerEvent::|\n    }\n/);
    const fields = [...rest.slice(0, end).matchAll(/o\.Set\("(\w+)"/g)].map((m) => m[1]!);
    out.set(names![i]!, ['pid', 'tid', ...fields].sort());
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
  it('tracer.h, binding.cc and lib/native.ts name the same events with the same fields', () => {
    const native = nativeSchema();
    const ts = tsSchema();
    expect([...ts.keys()].sort()).toEqual([...native.keys()].sort());
    for (const [type, fields] of native) expect(ts.get(type), `fields of '${type}'`).toEqual(fields);
  });
});
