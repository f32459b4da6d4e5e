// The cluster-mode policy has teeth: each case below spoils one promise in the rendered scaled
// overlay, and policy.mjs must report it (with the problem's expected words), while the
// unspoilt overlay passes. Prints the cases that were not caught; exits 1 if any.
//
//   node policy_test.mjs RENDERED_SCALED.yaml
import { find, findContainer, loadObjects } from './manifests.mjs'
import { checkPolicy } from './policy.mjs'

const tgrpcd = (objects) => findContainer(objects, 'tgrpcd')
const container = (objects) => tgrpcd(objects).container
const workload = (objects) => tgrpcd(objects).workload
const replicasPolicy = (objects) => find(objects, 'NetworkPolicy', 'tgrpcd-replicas')
const basePolicy = (objects) => find(objects, 'NetworkPolicy', 'tgrpcd')
const setEnv = (objects, name, variable) => {
  const env = container(objects).env
  const at = env.findIndex((e) => e.name === name)
  if (variable) env[at] = { name, ...variable }
  else env.splice(at, 1)
}

// [name, what to spoil, a word the problem names]
const CASES = [
  ['2 replicas', (o) => { workload(o).spec.replicas = 2 }, '2 replicas, not 3'],
  ['readiness on ""', (o) => { container(o).readinessProbe.grpc.service = '' },
    'tgrpc.readiness'],
  ['grace 30 s', (o) => { workload(o).spec.template.spec.terminationGracePeriodSeconds = 30 },
    'terminationGracePeriodSeconds'],
  ['lease_ttl 20s: grace too short', (o) => {
    const map = o.find((x) => x.kind === 'ConfigMap' && x.data?.['cluster.json'])
    map.data['cluster.json'] = '{"lease_ttl": "20s"}'
  }, 'handover'],
  ['no peer container port', (o) => {
    const c = container(o)
    c.ports = c.ports.filter((p) => p.name !== 'peer')
  }, 'no container port named peer'],
  ['peer_listen on loopback', (o) => {
    const c = container(o)
    c.args = c.args.map((a) => a.replace(/^--peer_listen=.*/, '--peer_listen=127.0.0.1:7001'))
  }, 'not reachable'],
  ['no peer_listen', (o) => {
    const c = container(o)
    c.args = c.args.filter((a) => !a.startsWith('--peer_listen='))
  }, 'without peer_listen'],
  ['POD_IP from the host IP', (o) => {
    setEnv(o, 'POD_IP', { valueFrom: { fieldRef: { fieldPath: 'status.hostIP' } } })
  }, 'POD_IP'],
  ['no advertise_host', (o) => setEnv(o, 'TGRPC_ADVERTISE_HOST'), 'advertise_host'],
  ['instance not the pod name', (o) => setEnv(o, 'TGRPC_INSTANCE', { value: 'tgrpcd' }),
    'instance'],
  ['rollout maxUnavailable 1', (o) => {
    workload(o).spec.strategy.rollingUpdate.maxUnavailable = 1
  }, 'maxUnavailable'],
  ['PDB lets a drain take all', (o) => {
    find(o, 'PodDisruptionBudget', 'tgrpcd').spec.maxUnavailable = '100%'
  }, 'all 3 replicas'],
  ['PDB blocks drains', (o) => {
    const pdb = find(o, 'PodDisruptionBudget', 'tgrpcd')
    delete pdb.spec.maxUnavailable
    pdb.spec.minAvailable = 3
  }, 'blocks every drain'],
  ['peer port from another namespace', (o) => {
    replicasPolicy(o).spec.ingress[0].from.push({ namespaceSelector: {} })
  }, 'only tgrpcd\'s own pods'],
  ['peer port from any pod of the app', (o) => {
    replicasPolicy(o).spec.ingress[0].from[0].podSelector.matchLabels =
      { 'app.kubernetes.io/part-of': 'tgrpc' }
  }, 'only tgrpcd\'s own pods'],
  ['peer port from anyone', (o) => { delete replicasPolicy(o).spec.ingress[0].from },
    'admits anyone'],
  ['callers on every port', (o) => { delete basePolicy(o).spec.ingress[0].ports },
    'only tgrpcd\'s own pods'],
  ['a port range over 7001', (o) => {
    basePolicy(o).spec.ingress.push({
      from: [{ ipBlock: { cidr: '10.0.0.0/8' } }],
      ports: [{ port: 7000, endPort: 7010, protocol: 'TCP' }],
    })
  }, 'only tgrpcd\'s own pods'],
  ['replicas cannot reach each other', (o) => { replicasPolicy(o).spec.ingress = [] },
    'reach each other'],
  ['replicas cannot send to each other', (o) => { replicasPolicy(o).spec.egress.shift() },
    'send to the other replicas'],
  ['a Service publishes the peer port', (o) => {
    find(o, 'Service', 'tgrpcd').spec.ports.push(
      { name: 'peer', port: 7001, targetPort: 'peer', protocol: 'TCP' })
  }, 'publishes the peer port'],
  ['an object without a namespace', (o) => { delete replicasPolicy(o).metadata.namespace },
    'no namespace'],
]

const [file] = process.argv.slice(2)
if (!file) {
  console.error('usage: node policy_test.mjs RENDERED_SCALED.yaml')
  process.exit(2)
}
const failures = []
const clean = checkPolicy(loadObjects(file), 'scaled')
if (clean.length > 0) failures.push(`unspoilt: ${clean.join('; ')}`)
for (const [name, spoil, expected] of CASES) {
  const objects = loadObjects(file)
  try {
    spoil(objects)
  } catch (error) {
    failures.push(`${name}: cannot spoil (${error.message}): has the overlay changed?`)
    continue
  }
  const problems = checkPolicy(objects, 'scaled')
  if (!problems.some((p) => p.includes(expected))) {
    failures.push(`${name}: not caught (wanted "${expected}"; got ${JSON.stringify(problems)})`)
  }
}
for (const failure of failures) console.log(failure)
if (failures.length === 0) console.log(`${CASES.length} spoilt variants caught`)
process.exit(failures.length > 0 ? 1 : 0)
