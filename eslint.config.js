// The linter's config must sit at the top of the tree, where ESLint looks for it.
// Fastify's own style (neostandard), with TypeScript rules.
import neostandard from 'neostandard'

export default [
  ...neostandard({
    ts: true,
    ignores: ['dist/**', 'node_modules/**', '.tap/**', 'coverage/**', 'reports/**', '.stryker-tmp/**']
  }),
  {
    rules: {
      // `void promise` marks a promise deliberately not awaited (Fastify's reply methods).
      'no-void': ['error', { allowAsStatement: true }],
      // A TypeBox schema and its Static<> type share one name on purpose.
      '@typescript-eslint/no-redeclare': 'off'
    }
  }
]
