/**
 * Every type that appears in a public signature is exported: for each
 * entry point of package.json's `exports`, every type named in the
 * declaration of something it exports (parameters, results, properties,
 * members) is itself exported by some entry point.
 */
import test from 'ava';
import { join } from 'node:path';
import ts from 'typescript';
import { entryPoints, root } from './entry-points.js';

const src = join(root, 'src');

test('every type named in a public signature is exported by an entry point', (t) => {
  t.timeout(300_000); // a whole tsc program: minutes on a loaded machine
  const entries = entryPoints().map(({ source }) => source);
  const program = ts.createProgram(entries, { strict: true, target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, skipLibCheck: true, noEmit: true });
  const checker = program.getTypeChecker();
  const resolve = (symbol: ts.Symbol): ts.Symbol => (symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol);
  const exported = new Set<ts.Symbol>();
  const roots: ts.Symbol[] = [];
  for (const entry of entries) {
    const file = program.getSourceFile(entry);
    const moduleSymbol = file && checker.getSymbolAtLocation(file);
    if (moduleSymbol === undefined) continue;
    for (const symbol of checker.getExportsOfModule(moduleSymbol)) {
      const target = resolve(symbol);
      exported.add(target);
      roots.push(target);
    }
  }
  t.true(roots.length > 50, `${roots.length} exports found`);
  const missing = new Map<string, string>();
  const visit = (node: ts.Node, owner: string): void => {
    // Private and #private members are not public signatures.
    if ((ts.isPropertyDeclaration(node) || ts.isMethodDeclaration(node) || ts.isGetAccessor(node) || ts.isSetAccessor(node)) &&
      (ts.getCombinedModifierFlags(node) & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected) || ts.isPrivateIdentifier(node.name))) return;
    // A member marked @internal is not public.
    if (ts.isClassElement(node) && ts.getJSDocTags(node).some((tag) => tag.tagName.text === 'internal')) return;
    // Function and method bodies are not signatures.
    if (ts.isBlock(node)) return;
    if (ts.isTypeReferenceNode(node) || ts.isExpressionWithTypeArguments(node)) {
      const name = ts.isTypeReferenceNode(node) ? node.typeName : node.expression;
      const symbol = checker.getSymbolAtLocation(name);
      if (symbol !== undefined) {
        const target = resolve(symbol);
        const declaration = target.declarations?.[0];
        const file = declaration?.getSourceFile().fileName ?? '';
        const isOurs = file.startsWith(src) && !(target.flags & ts.SymbolFlags.TypeParameter);
        if (isOurs && !exported.has(target) && declaration && !ts.isTypeParameterDeclaration(declaration)) {
          missing.set(target.name, `${owner} (${file.slice(root.length)})`);
        }
      }
    }
    ts.forEachChild(node, (child) => visit(child, owner));
  };
  for (const symbol of roots) {
    for (const declaration of symbol.declarations ?? []) {
      if (!declaration.getSourceFile().fileName.startsWith(src)) continue;
      // A JSDoc @internal member is not public.
      if (/@internal/.test(declaration.getFullText())) continue;
      visit(declaration, symbol.name);
    }
  }
  t.deepEqual([...missing].map(([name, where]) => `${name} ← ${where}`), []);
});
