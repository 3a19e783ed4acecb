/**
 * The package's entry points, from package.json's `exports`, mapped to the
 * source file each one's ESM types are built from
 * (`./dist/types/x.d.ts` → `src/x.ts`). Shared by the type tests.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('../..', import.meta.url));

type Target = string | { readonly types?: string; readonly import?: Target; readonly default?: Target };

/** The ESM `types` of a conditional export (`{ types }` or `{ import: { types } }`). */
function typesOf(target: Target | undefined): string | undefined {
  if (target === undefined || typeof target === 'string') return undefined;
  return target.types ?? typesOf(target.import);
}

/** `ws4ts`, `ws4ts/express`… with the source file of each. */
export function entryPoints(): { readonly name: string; readonly source: string }[] {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { name: string; exports: Record<string, Target> };
  return Object.entries(pkg.exports).flatMap(([subpath, target]) => {
    const types = typesOf(target);
    if (types === undefined) return [];
    const name = subpath === '.' ? pkg.name : `${pkg.name}/${subpath.slice(2)}`;
    return [{ name, source: join(root, types.replace(/^\.\/dist\/types\//, 'src/').replace(/\.d\.ts$/, '.ts')) }];
  });
}
