// The example Prometheus alert rules (docs/operations.md, the yaml block of "Observability") are a rule
// file Prometheus can load, and every metric and label they name is on a live /metrics: one
// CDP volume on, one off, so every series exists.
import t from 'tap'
import { parse } from 'yaml'
import { DEMO, openTestApp } from '../helpers/app.js'
import { fencedBlock } from '../helpers/markdown.js'

const RULES_PAGE = 'docs/operations.md'

interface Rule { alert: string, expr: string, for: string, labels: { severity: string }, annotations: { summary: string } }

function documentedRules (): Rule[] {
  const file = parse(fencedBlock(RULES_PAGE, 'Observability', 'yaml', 'groups:')) as { groups: Array<{ name: string, rules: Rule[] }> }
  return file.groups.flatMap((group) => group.rules)
}

/** Each metric name `expr` uses, with the label matchers written on it and the labels of its ignoring()/on() clauses. */
function named (expr: string): { metrics: Map<string, Array<[string, string]>>, matchedOn: string[] } {
  const metrics = new Map<string, Array<[string, string]>>()
  for (const [, name, matchers] of expr.matchAll(/\b(cdp_[a-z_]+)(?:\{([^}]*)\})?/g)) {
    const pairs = [...(matchers ?? '').matchAll(/(\w+)\s*=\s*"([^"]*)"/g)].map(([, label, value]) => [label, value] as [string, string])
    metrics.set(name as string, [...(metrics.get(name as string) ?? []), ...pairs])
  }
  const matchedOn = [...expr.matchAll(/\b(?:ignoring|on)\s*\(([^)]*)\)/g)].flatMap(([, labels]) => (labels ?? '').split(',').map((l) => l.trim()))
  return { metrics, matchedOn }
}

t.test('the documented alert rules parse, and name only metrics and labels /metrics has', async (t) => {
  const rules = documentedRules()
  t.same(rules.map((r) => r.alert), ['CdpHistoryBelow85Percent', 'CdpHistoryBelow75Percent', 'CdpHistoryShrinking', 'CdpProtectionGaugesIncomplete'])
  t.match(rules[0]?.expr, /0\.85 \*/)
  t.match(rules[1]?.expr, /0\.75 \*/)
  t.match(rules[2]?.expr, /cdp_protection_pressure == 2/, 'shrinking is 2')
  for (const rule of rules) {
    t.match(rule.for, /^\d+m$/)
    t.ok(['info', 'warning', 'critical'].includes(rule.labels.severity), `${rule.alert} severity`)
  }

  const { app, sim } = await openTestApp(t)
  await sim.enable([{ cluster_uuid: DEMO.cluster, volume_uuid: DEMO.cdp1 }])
  const exposition = (await app.inject('/metrics')).body
  const samples = exposition.split('\n').filter((line) => line !== '' && !line.startsWith('#'))
  const labelsOf = (metric: string): Array<Record<string, string>> => samples
    .filter((line) => line.startsWith(`${metric}{`) || line.startsWith(`${metric} `))
    .map((line) => Object.fromEntries([...line.matchAll(/(\w+)="([^"]*)"/g)].map(([, k, v]) => [k, v])))

  for (const rule of rules) {
    const { metrics, matchedOn } = named(rule.expr)
    t.ok(metrics.size > 0, `${rule.alert} names a metric`)
    for (const [metric, matchers] of metrics) {
      const series = labelsOf(metric)
      t.ok(series.length > 0, `${rule.alert}: ${metric} is on /metrics`)
      for (const [label, value] of matchers) {
        t.ok(series.some((labels) => labels[label] === value), `${rule.alert}: ${metric}{${label}="${value}"} is on /metrics`)
      }
    }
    for (const label of matchedOn) {
      t.ok([...metrics.keys()].some((metric) => labelsOf(metric).some((labels) => label in labels)), `${rule.alert}: label ${label} exists`)
    }
    for (const [, label] of rule.annotations.summary.matchAll(/\$labels\.(\w+)/g)) {
      t.ok([...metrics.keys()].some((metric) => labelsOf(metric).some((labels) => label as string in labels)), `${rule.alert}: annotation label ${label ?? ''} exists`)
    }
  }
})
