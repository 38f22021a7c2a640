/**
 * The layers of src/, checked by dependency-cruiser on every `npm test` (docs/architecture.md).
 * An arrow may only point down:
 *
 *   entry        cli/ demo/
 *   commands     commands/                    (preflight: reads config, the store and live endpoints; only cli/ imports it)
 *   composition  server/ admin/
 *   services     store/ audit/ keys/ oauth/ pki/ jwks/ ratelimit/ geo/ security/ observability/ vault/ credentials/ alerts/ assess/
 *   config       config/                      (services may name its types, never run its code)
 *   registry     policies/index.ts policies/order.ts
 *   policies     policies/<name>/             (core and leaves only: services come through core's contracts)
 *   core         core/
 *   leaves       net/ http/ auth/ openapi/ jwt/ outbound/ detect/
 *   browser      console/                     (the browser console, bundled by esbuild: imports nothing from the server's src/)
 *
 * Type-only imports count like any other (a type from above still couples the design); runtime
 * and type-only cycles are both refused. Test files (*.test.ts) may reach across layers, but not
 * into a cycle.
 */
const LEAVES = '(net|http|auth|openapi|jwt|outbound|detect)';
const SERVICES = '(store|audit|keys|oauth|pki|jwks|ratelimit|geo|security|observability|vault|credentials|alerts|assess)';
const TEST = '\\.test\\.ts$';
const LAYERED = `${LEAVES.slice(1, -1)}|core|policies|config|${SERVICES.slice(1, -1)}|server|admin|commands|cli|demo|console`;

/** A rule about what the non-test modules under `from` may import from src/ (`allowed`: a regex of paths). */
function onlyImports(name, comment, from, allowed) {
  return { name, comment, severity: 'error', from: { path: from, pathNot: TEST }, to: { path: '^src/', pathNot: allowed } };
}

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'No import cycle anywhere, type-only ones included: a runtime cycle is a latent TDZ crash, a type cycle a knot in the design.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    onlyImports('console-is-a-browser-bundle', 'console/ runs in the browser and talks to the admin API over HTTP only: it imports nothing from the server side.', '^src/console/', '^src/console/'),
    onlyImports('leaves-import-only-leaves', 'A leaf (net/, http/, auth/, openapi/, jwt/, outbound/, detect/) imports nothing above it.', `^src/${LEAVES}/`, `^src/${LEAVES}/`),
    onlyImports('core-imports-only-leaves', 'core/ is the contract every layer speaks; it imports only leaves.', '^src/core/', `^src/(core|${LEAVES})/`),
    {
      name: 'policies-import-core-and-leaves',
      comment: 'A policy imports core/, leaves and its own folder: never server/, config/, a service or another policy.',
      severity: 'error',
      from: { path: '^src/policies/([^/]+)/', pathNot: TEST },
      to: { path: '^src/', pathNot: [`^src/(core|${LEAVES})/`, '^src/policies/$1/'] },
    },
    onlyImports('registry-imports-policies-and-core', 'The registry (policies/index.ts, order.ts) gathers the policies; it needs nothing else.', '^src/policies/(index|order)\\.ts$', '^src/(policies|core)/'),
    {
      name: 'only-the-registry-imports-policies',
      comment: 'policies/index.ts and order.ts are the one place that imports every policy; the rest of the code goes through them.',
      severity: 'error',
      from: { pathNot: ['^src/policies/', TEST] },
      to: { path: '^src/policies/[^/]+/' },
    },
    onlyImports('config-imports-registry-core-and-leaves', 'config/ reads the policy registry, core/ and leaves; never a service or the server.', '^src/config/', `^src/(config|core|${LEAVES})/|^src/policies/(index|order)\\.ts$`),
    onlyImports('services-stay-below-composition', 'A service (store/, keys/, oauth/, ...) never imports a policy, the registry, the server, the admin API or an entry point.', `^src/${SERVICES}/`, `^src/(${SERVICES.slice(1, -1)}|config|core|${LEAVES})/`),
    {
      name: 'services-use-config-types-only',
      comment: 'A service may name the type of its config section; it never runs config code (loading and checking config is the composition root\'s job).',
      severity: 'error',
      from: { path: `^src/${SERVICES}/`, pathNot: TEST },
      to: { path: '^src/config/', dependencyTypesNot: ['type-only'] },
    },
    onlyImports('store-is-the-lowest-service', 'store/ builds on core/, leaves and observability/ (its logger) only: keys, OAuth and the override index build on the store, not the other way round.', '^src/store/', `^src/(store|observability|core|${LEAVES})/`),
    onlyImports('composition-never-imports-entry-points', 'server/ and admin/ never import cli/ or demo/.', '^src/(server|admin)/', '^src/(?!cli/|demo/)'),
    onlyImports('commands-never-import-entry-points', 'commands/ (preflight) sits between the entry points and the composition root: it never imports cli/ or demo/.', '^src/commands/', '^src/(?!cli/|demo/)'),
    {
      name: 'only-entry-points-import-commands',
      comment: 'commands/ is reached from cli/ (and demo/) only: the composition root and everything below never import it.',
      severity: 'error',
      from: { path: '^src/', pathNot: ['^src/(cli|demo|commands)/', TEST] },
      to: { path: '^src/commands/' },
    },
    {
      name: 'every-folder-has-a-layer',
      comment: 'A folder under src/ that is in no layer: add it to LEAVES or SERVICES above (or to a rule of its own) and to docs/architecture.md.',
      severity: 'error',
      from: { path: '^src/', pathNot: [`^src/(${LAYERED})/`, TEST] },
      to: {},
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(dist|node_modules)/' },
    tsConfig: { fileName: 'tsconfig.json' },
    // Type-only imports are kept (not erased before the check), so they obey the same rules.
    tsPreCompilationDeps: true,
    moduleSystems: ['es6'],
    reporterOptions: { text: { highlightFocused: true } },
  },
};
