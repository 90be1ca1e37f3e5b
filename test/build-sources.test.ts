// The two native builds compile the same addon: binding.gyp's targets
// (node-gyp, the install build) and CMakeLists.txt's source lists (cmake-js,
// the sanitizer build, `npm run build:asan`) name the same files, and every
// native/*.cc is in both. The spawned child's code (native/spawn_child.h) is
// compiled apart and must call nothing: its object files have no undefined
// and no weak symbols, in every build there is.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { root } from './helpers.js';

/** binding.gyp is a Python literal: JSON once its comments and trailing commas are gone. */
function gypSources(targetName: string): string[] {
  const text = readFileSync(join(root, 'binding.gyp'), 'utf8')
    .replace(/^\s*#.*$/gm, '')
    .replace(/,(\s*[}\]])/g, '$1');
  const gyp = JSON.parse(text) as { targets: { target_name: string; sources?: string[] }[] };
  const target = gyp.targets.find((t) => t.target_name === targetName);
  expect(target, `binding.gyp has a ${targetName} target`).toBeDefined();
  return target!.sources ?? [];
}

function cmakeSources(variable: string): string[] {
  const text = readFileSync(join(root, 'CMakeLists.txt'), 'utf8');
  const m = new RegExp(`^\\s*set\\(\\s*${variable}\\b([^)]*)\\)`, 'm').exec(text);
  expect(m, `CMakeLists.txt sets ${variable}`).not.toBeNull();
  return m![1]!
    .replace(/#.*$/gm, '')
    .split(/\s+/)
    .filter(Boolean);
}

const targets = [
  { gyp: 'sysstub', cmake: 'SYSSTUB_SOURCES' },
  { gyp: 'sysstub_child', cmake: 'SYSSTUB_CHILD_SOURCES' },
];

/** `nm` lines of an object file that name a symbol it needs from elsewhere (U) or may get replaced by the linker (W, V, w, v). */
function foreignSymbols(object: string): string[] {
  return execFileSync('nm', [object], { encoding: 'utf8' })
    .split('\n')
    .filter((line) => /^\s*(?:[0-9a-f]+\s+)?[UWVwv]\s/.test(line));
}

describe('native build sources', () => {
  it.each(targets)('binding.gyp target $gyp and CMakeLists.txt $cmake list the same sources', ({ gyp, cmake }) => {
    expect([...cmakeSources(cmake)].sort()).toEqual([...gypSources(gyp)].sort());
  });

  it('every native/*.cc is in both builds, once', () => {
    const cc = readdirSync(join(root, 'native')).filter((f) => f.endsWith('.cc')).map((f) => `native/${f}`).sort();
    for (const list of [targets.flatMap((t) => gypSources(t.gyp)), targets.flatMap((t) => cmakeSources(t.cmake))]) {
      expect(new Set(list).size, 'no file listed twice').toBe(list.length);
      expect(list.filter((f) => f.endsWith('.cc')).sort()).toEqual(cc);
    }
  });

  // Regression: in the ASan build the child called __asan_handle_no_return
  // before each noreturn call, which took its heap stack for a thread stack
  // gone wrong and wrote a report (CI failed on it, about 3 spawns in 4 that
  // failed in the child).
  it('the spawned child calls nothing outside its own object: no undefined, no weak symbols', () => {
    const node = join(root, 'build', 'Release', 'obj.target', 'sysstub_child', 'native', 'spawn_child.o');
    expect(existsSync(node), `${relative(root, node)} is built (npm run build:native)`).toBe(true);
    const objects = [node];
    const asan = join(root, 'build-asan', 'CMakeFiles', 'sysstub_child.dir', 'native', 'spawn_child.cc.o');
    if (existsSync(asan)) objects.push(asan);
    for (const object of objects) {
      expect(foreignSymbols(object), relative(root, object)).toEqual([]);
      expect(execFileSync('nm', [object], { encoding: 'utf8' }), relative(root, object)).toMatch(/ T SysstubChildMain$/m);
    }
  });
});
