// The two native builds compile the same addon: binding.gyp's sysstub target
// (node-gyp, the install build) and CMakeLists.txt's SYSSTUB_SOURCES (cmake-js,
// the sanitizer build, `npm run build:asan`) list the same files, and every
// native/*.cc is in both.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { root } from './helpers.js';


/** binding.gyp is a Python literal: JSON once its comments and trailing commas are gone. */
function gypSources(): string[] {
  const text = readFileSync(join(root, 'binding.gyp'), 'utf8')
    .replace(/^\s*#.*$/gm, '')
    .replace(/,(\s*[}\]])/g, '$1');
  const gyp = JSON.parse(text) as { targets: { target_name: string; sources?: string[] }[] };
  const target = gyp.targets.find((t) => t.target_name === 'sysstub');
  expect(target, 'binding.gyp has a sysstub target').toBeDefined();
  return target!.sources ?? [];
}

function cmakeSources(): string[] {
  const text = readFileSync(join(root, 'CMakeLists.txt'), 'utf8');
  const m = /^\s*set\(\s*SYSSTUB_SOURCES\b([^)]*)\)/m.exec(text);
  expect(m, 'CMakeLists.txt sets SYSSTUB_SOURCES').not.toBeNull();
  return m![1]!
    .replace(/#.*$/gm, '')
    .split(/\s+/)
    .filter(Boolean);
}

describe('native build sources', () => {
  it('binding.gyp and CMakeLists.txt list the same addon sources', () => {
    expect([...cmakeSources()].sort()).toEqual([...gypSources()].sort());
  });

  it('every native/*.cc is in both builds, once', () => {
    const cc = readdirSync(join(root, 'native')).filter((f) => f.endsWith('.cc')).map((f) => `native/${f}`).sort();
    for (const list of [gypSources(), cmakeSources()]) {
      expect(new Set(list).size, 'no file listed twice').toBe(list.length);
      expect(list.filter((f) => f.endsWith('.cc')).sort()).toEqual(cc);
    }
  });
});
