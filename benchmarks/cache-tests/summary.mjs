// Counts a cache-tests results file the way cache-tests.fyi shows it, with the suite's own
// determineTestResult (dependencies honoured), and lists what did not pass.
//
//   node summary.mjs SUITE_DIR RESULTS.json [--name NAME] [--compare] [--docs]
//
// SUITE_DIR is an installed http-tests/cache-tests checkout; RESULTS.json is what its CLI printed.
// --compare adds a table of the suite's published reverse-proxy results (results/index.mjs,
// type rev-proxy), counted the same way. --docs: no title line and no list of the tests whose
// dependencies failed (for docs/benchmarks.md). Output: Markdown on standard output.
//
// The counts, one per symbol on the site:
//   passed        ✅  a required or optimal test that passed
//   conformance   ⛔️  a required test that failed ("conformance test failed")
//   optional      ⚠️  an optimal test that failed ("optional test failed")
//   checks        Y/N behaviour checks (kind: check): information, neither pass nor fail
//   dependency    ⚪️  not judged: a test it depends on did not pass
//   setup         🔹  failed during setup; harness ⁉️ ; retry ↻
// "tested" is the number of tests in the results file (browser-only tests are not run against a
// proxy). failed = conformance + optional.
import path from 'path'
import fs from 'fs'
import { pathToFileURL } from 'url'

const args = process.argv.slice(2)
if (args.length < 2) {
  console.error('usage: node summary.mjs SUITE_DIR RESULTS.json [--name NAME] [--compare]')
  process.exit(2)
}
const [suiteDir, resultsFile] = args
const nameAt = args.indexOf('--name')
const name = nameAt > 0 ? args[nameAt + 1] : path.basename(resultsFile, '.json')
const compare = args.includes('--compare')
const docs = args.includes('--docs')

const load = rel => import(pathToFileURL(path.resolve(suiteDir, rel)).href)
const suites = (await load('tests/index.mjs')).default
const { determineTestResult, resultTypes } = await load('test-engine/lib/results.mjs')
const kindOf = symbol => Object.keys(resultTypes).find(k => resultTypes[k] === symbol)

function count (results) {
  const c = { tested: 0, pass: 0, fail: 0, optional_fail: 0, yes: 0, no: 0, dependency_fail: 0, setup_fail: 0, harness_fail: 0, retry: 0 }
  for (const suite of suites) {
    for (const test of suite.tests) {
      if (results[test.id] === undefined) continue
      c.tested++
      c[kindOf(determineTestResult(suites, test.id, results))]++
    }
  }
  return c
}

const row = (label, c) =>
  `| ${label} | ${c.tested} | ${c.pass} | ${c.fail} | ${c.optional_fail} | ${c.yes}/${c.no} | ${c.dependency_fail} | ${c.setup_fail + c.harness_fail + c.retry} |`
const header = [
  '| implementation | tested | passed ✅ | conformance failures ⛔️ | optional failures ⚠️ | checks Y/N | dependency failed ⚪️ | setup/harness/retry |',
  '|---|---|---|---|---|---|---|---|'
]

const results = JSON.parse(fs.readFileSync(resultsFile, 'utf8'))
const mine = count(results)
const out = []
if (!docs) out.push(`## ${name}: ${mine.pass} passed of ${mine.tested}, ${mine.fail} conformance failures`, '')
out.push(...header, row(name, mine))
const published = []
if (compare) {
  const index = (await load('results/index.mjs')).default
  for (const impl of index.filter(i => i.type === 'rev-proxy')) {
    const theirs = JSON.parse(fs.readFileSync(path.resolve(suiteDir, 'results', impl.file), 'utf8'))
    const c = count(theirs)
    published.push({ name: impl.name, c })
    out.push(row(`${impl.name} ${impl.version}`, c))
  }
}
out.push('')
if (published.length) {
  // Issue 15's yardstick: more passed than any published reverse proxy, and no more conformance
  // failures than the best of them.
  const most = published.reduce((a, b) => (b.c.pass > a.c.pass ? b : a))
  const fewest = published.reduce((a, b) => (b.c.fail < a.c.fail ? b : a))
  const met = mine.pass > most.c.pass && mine.fail <= fewest.c.fail
  out.push(`Against the published reverse proxies: ${mine.pass} passed (most of them: ${most.name}, ` +
    `${most.c.pass}), ${mine.fail} conformance failure${mine.fail === 1 ? '' : 's'} ` +
    `(fewest of them: ${fewest.name}, ` +
    `${fewest.c.fail}). Target (more passed than any, no more conformance failures than the ` +
    `best): **${met ? 'met' : 'missed'}**.`, '')
}

// What did not pass, by the suite's own sections, with the suite's message.
const shown = ['fail', 'optional_fail', 'setup_fail', 'harness_fail', 'retry']
const label = { fail: '⛔️ conformance', optional_fail: '⚠️ optional', setup_fail: '🔹 setup', harness_fail: '⁉️ harness', retry: '↻ retry' }
out.push('### Not passed (⛔️ ⚠️ 🔹 ⁉️ ↻), by section', '')
for (const suite of suites) {
  const lines = []
  const blocked = []
  for (const test of suite.tests) {
    if (results[test.id] === undefined) continue
    const kind = kindOf(determineTestResult(suites, test.id, results))
    const raw = results[test.id]
    const why = Array.isArray(raw) ? raw.join(': ') : String(raw)
    if (shown.includes(kind)) {
      lines.push(`- \`${test.id}\` ${label[kind]}: ${why}`)
    } else if (kind === 'dependency_fail') {
      const failed = test.depends_on.filter(d =>
        !['pass', 'yes'].includes(kindOf(determineTestResult(suites, d, results))))
      blocked.push(`\`${test.id}\` (needs ${failed.join(', ')})`)
    }
  }
  if (lines.length || (blocked.length && !docs)) {
    out.push(`#### ${suite.name} (\`${suite.id}\`)`, '', ...lines)
    if (blocked.length && !docs) out.push(`- ⚪️ dependency failed: ${blocked.join('; ')}`)
    out.push('')
  }
}
console.log(out.join('\n'))
