// What every overlay promises (README.md), checked on its rendered objects: each pod is locked
// down and sized, each container probed, tgrpcd's readiness on tgrpc.readiness, its grace period
// outlasts its drain (and in cluster mode its handover), and its pods have a disruption budget, a
// network policy and a scrape target. In cluster mode (peer_listen set) also: the peer port is a
// container port that only tgrpcd's own pods may reach and no Service publishes, and each replica
// advertises its pod IP and names itself after its pod. One problem a string.
import { find, findContainer, podTemplates, selects } from './manifests.mjs'

const UID = 65532
// Besides the preStop sleep and shutdown_grace: closing the MTProto connections and the database.
const STOP_MARGIN_SECONDS = 5
const READINESS_SERVICE = 'tgrpc.readiness'
// What each overlay of this directory is (README.md); an overlay of another name (one of your
// own) is held to the general rules only.
const OVERLAYS = {
  single: { kind: 'StatefulSet', replicas: 1, cluster: false },
  sandbox: { kind: 'Deployment', replicas: 1, cluster: false },
  scaled: { kind: 'Deployment', replicas: 3, cluster: true, maxSurge: 1, maxUnavailable: 0 },
}
const CLUSTER_SCOPED = new Set(['Namespace', 'ClusterRole', 'ClusterRoleBinding',
  'CustomResourceDefinition', 'PersistentVolume', 'StorageClass', 'PriorityClass'])
// What the Downward API gives the pod, as it appears in tgrpcdSettings' values.
const downward = (fieldPath) => `<${fieldPath}>`

// absl::ParseDuration's units ("10s", "1m30s", "500ms"), in seconds.
function durationSeconds(text) {
  const unit = { ns: 1e-9, us: 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600 }
  let seconds = 0
  for (const [, number, name] of String(text).matchAll(/(\d+(?:\.\d+)?)(ns|us|ms|s|m|h)/g)) {
    seconds += Number(number) * unit[name]
  }
  return seconds
}

function checkContainer(where, container, podSecurity, problems) {
  const security = container.securityContext ?? {}
  const effective = (key) => security[key] ?? podSecurity[key]
  if (effective('runAsNonRoot') !== true) problems.push(`${where}: runAsNonRoot is not true`)
  if (effective('runAsUser') !== UID) problems.push(`${where}: runAsUser is not ${UID}`)
  if (effective('seccompProfile')?.type !== 'RuntimeDefault') {
    problems.push(`${where}: seccompProfile is not RuntimeDefault`)
  }
  if (security.allowPrivilegeEscalation !== false) {
    problems.push(`${where}: allowPrivilegeEscalation is not false`)
  }
  if (security.readOnlyRootFilesystem !== true) {
    problems.push(`${where}: readOnlyRootFilesystem is not true`)
  }
  if (!(security.capabilities?.drop ?? []).includes('ALL')) {
    problems.push(`${where}: capabilities do not drop ALL`)
  }
  for (const kind of ['requests', 'limits']) {
    for (const resource of ['cpu', 'memory']) {
      if (!container.resources?.[kind]?.[resource]) {
        problems.push(`${where}: no ${resource} in resources.${kind}`)
      }
    }
  }
  const tag = /^[^@]+:([^:/]+)$/.exec(container.image ?? '')?.[1]
  if (!/@sha256:/.test(container.image ?? '') && (!tag || tag === 'latest')) {
    problems.push(`${where}: image ${container.image} has no version tag`)
  }
  for (const probe of ['livenessProbe', 'readinessProbe']) {
    if (!container[probe]) problems.push(`${where}: no ${probe}`)
  }
  // Secrets reach the process as files only: environment variables leak into /proc and dumps.
  for (const env of container.env ?? []) {
    if (env.valueFrom?.secretKeyRef) problems.push(`${where}: Secret in environment ${env.name}`)
  }
  for (const from of container.envFrom ?? []) {
    if (from.secretRef) problems.push(`${where}: Secret ${from.secretRef.name} in environment`)
  }
}

// The container's environment as far as the manifests say: literal values with $(VAR) expanded
// as the kubelet does, Downward API values as downward(fieldPath), other references as
// <valueFrom>.
function containerEnv(container) {
  const env = {}
  for (const variable of container.env ?? []) {
    const fieldPath = variable.valueFrom?.fieldRef?.fieldPath
    if (variable.value !== undefined) env[variable.name] = expand(variable.value, env)
    else if (fieldPath) env[variable.name] = downward(fieldPath)
    else env[variable.name] = '<valueFrom>'
  }
  return env
}

function expand(text, env) {
  return String(text).replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (all, name) => env[name] ?? all)
}

// The settings tgrpcd starts with, as far as the manifests say: --config files from ConfigMaps,
// then TGRPC_* variables, then flags (tgrpcd's own order). Not the image's environment: the flags
// name what the pod spec depends on.
function tgrpcdSettings(objects, template, container) {
  const settings = {}
  const env = containerEnv(container)
  const args = (container.args ?? []).map((a) => expand(a, env))
  const flags = args.map((a) => /^--([^=]+)=(.*)$/s.exec(a)).filter(Boolean)
  for (const [, name, path] of flags) {
    if (name !== 'config') continue
    const mount = (container.volumeMounts ?? []).find((m) => path.startsWith(`${m.mountPath}/`))
    const volume = (template.spec.volumes ?? []).find((v) => v.name === mount?.name)
    const configMap = volume?.configMap && find(objects, 'ConfigMap', volume.configMap.name)
    const text = configMap?.data?.[path.slice(mount.mountPath.length + 1)]
    if (text !== undefined) Object.assign(settings, JSON.parse(text))
  }
  for (const [name, value] of Object.entries(env)) {
    if (name.startsWith('TGRPC_')) settings[name.slice(6).toLowerCase()] = value
  }
  for (const [, name, value] of flags) if (name !== 'config') settings[name] = value
  return settings
}

// Whether a NetworkPolicy port entry (absent: every port) covers a container port, named or by
// number, over TCP.
function coversPort(entry, port) {
  if ((entry.protocol ?? 'TCP') !== 'TCP') return false
  if (entry.port === undefined) return true
  if (entry.port === port.name) return true
  if (typeof entry.port !== 'number') return false
  return entry.port === port.containerPort ||
    (entry.endPort !== undefined && entry.port <= port.containerPort &&
     port.containerPort <= entry.endPort)
}
const ruleCovers = (rule, port) =>
  (rule.ports ?? []).length === 0 || rule.ports.some((entry) => coversPort(entry, port))

// A NetworkPolicy peer that stands for the workload's own pods and nothing more: a podSelector
// in the namespace (no namespaceSelector, no ipBlock) that asks at least what the workload's
// selector asks.
function ownPodsOnly(peer, workload, labels) {
  if (peer.ipBlock || peer.namespaceSelector || !peer.podSelector) return false
  if ((peer.podSelector.matchExpressions ?? []).length > 0) return false
  const wanted = workload.spec?.selector?.matchLabels ?? {}
  const asked = peer.podSelector.matchLabels ?? {}
  return Object.keys(wanted).length > 0 &&
    Object.entries(wanted).every(([key, value]) => asked[key] === value) &&
    selects(peer.podSelector, labels)
}

// How many of the workload's pods a PodDisruptionBudget lets a drain take at once.
function allowedDisruptions(pdb, replicas) {
  const count = (value, roundUp) => {
    const percent = /^(\d+)%$/.exec(String(value))
    if (!percent) return Number(value)
    const exact = (replicas * Number(percent[1])) / 100
    return roundUp ? Math.ceil(exact) : Math.floor(exact)
  }
  if (pdb.spec.maxUnavailable !== undefined) return count(pdb.spec.maxUnavailable, true)
  if (pdb.spec.minAvailable !== undefined) return replicas - count(pdb.spec.minAvailable, true)
  return replicas
}

// Cluster mode: the peer port, what each replica tells the others, and who may reach the port.
function checkCluster(objects, found, settings, ports, problems) {
  const { workload, template, container } = found
  const where = `${workload.kind}/${workload.metadata.name}`
  const labels = template.metadata?.labels
  const ours = (o) => o.metadata?.namespace === workload.metadata.namespace
  const peer = (container.ports ?? []).find((p) => p.name === 'peer')
  if (!peer) {
    problems.push(`${where}: peer_listen ${settings.peer_listen} but no container port named peer`)
  } else {
    const [, host, port] = /^(.*):(\d+)$/.exec(settings.peer_listen) ?? []
    if (Number(port) !== peer.containerPort) {
      problems.push(`${where}: peer_listen ${settings.peer_listen} is not on container port ` +
        `peer ${peer.containerPort}`)
    }
    if (!['0.0.0.0', '[::]', downward('status.podIP')].includes(host)) {
      problems.push(`${where}: peer_listen ${settings.peer_listen} is not reachable from other ` +
        'pods (listen on 0.0.0.0 or the pod IP)')
    }
    if ([ports.grpc, ports.metrics].includes(peer.containerPort)) {
      problems.push(`${where}: the peer port ${peer.containerPort} is also grpc or metrics`)
    }
  }
  // Each replica names itself after its pod and advertises its pod IP for the peer port.
  const podIp = (container.env ?? []).find((e) => e.name === 'POD_IP')
  if (podIp?.valueFrom?.fieldRef?.fieldPath !== 'status.podIP') {
    problems.push(`${where}: no env POD_IP from fieldRef status.podIP`)
  }
  if (settings.advertise_host !== downward('status.podIP')) {
    problems.push(`${where}: advertise_host ${settings.advertise_host} is not the pod IP ` +
      '(TGRPC_ADVERTISE_HOST=$(POD_IP))')
  }
  if (settings.instance !== downward('metadata.name')) {
    problems.push(`${where}: instance ${settings.instance} is not the pod name ` +
      '(TGRPC_INSTANCE from fieldRef metadata.name)')
  }
  const lease = durationSeconds(settings.lease_ttl ?? '10s')
  if (!(lease >= 0.5 && lease <= 600)) {
    problems.push(`${where}: lease_ttl ${settings.lease_ttl} is not between 500ms and 10m`)
  }
  if (workload.kind === 'Deployment') {
    const rolling = workload.spec.strategy?.rollingUpdate
    if (workload.spec.strategy?.type === 'Recreate' || (rolling?.maxUnavailable ?? 1) !== 0) {
      problems.push(`${where}: a rollout may stop a replica before its successor is ready ` +
        '(want RollingUpdate with maxUnavailable 0)')
    }
  }
  if (!peer) return

  // Ingress to the peer port: only from tgrpcd's own pods, and from them at least.
  const policies = objects.filter((o) => o.kind === 'NetworkPolicy' && ours(o) &&
    (Object.keys(o.spec.podSelector ?? {}).length === 0 || selects(o.spec.podSelector, labels)))
  const hasType = (policy, type) => (policy.spec.policyTypes ?? ['Ingress']).includes(type)
  const ingress = policies.filter((p) => hasType(p, 'Ingress'))
  if (ingress.length === 0) problems.push(`${where}: no NetworkPolicy restricts ingress to it`)
  let admitted = false
  for (const policy of ingress) {
    for (const rule of policy.spec.ingress ?? []) {
      if (!ruleCovers(rule, peer)) continue
      const from = rule.from ?? []
      if (from.length === 0) {
        problems.push(`NetworkPolicy/${policy.metadata.name}: admits anyone to the peer port ` +
          `${peer.containerPort}`)
        continue
      }
      for (const source of from) {
        if (ownPodsOnly(source, workload, labels)) {
          admitted = true
        } else {
          problems.push(`NetworkPolicy/${policy.metadata.name}: admits ${JSON.stringify(source)} ` +
            `to the peer port ${peer.containerPort}; only tgrpcd's own pods may reach it`)
        }
      }
    }
  }
  if (!admitted) {
    problems.push(`${where}: no NetworkPolicy lets the replicas reach each other's peer port ` +
      `${peer.containerPort}`)
  }
  // Egress to it, when egress is restricted at all.
  const egress = policies.filter((p) => hasType(p, 'Egress'))
  const reaches = egress.some((policy) => (policy.spec.egress ?? []).some((rule) =>
    ruleCovers(rule, peer) && ((rule.to ?? []).length === 0 ||
      rule.to.some((target) => target.podSelector && !target.namespaceSelector &&
        selects(target.podSelector, labels)))))
  if (egress.length > 0 && !reaches) {
    problems.push(`${where}: no NetworkPolicy lets it send to the other replicas' peer port ` +
      `${peer.containerPort}`)
  }
  // No Service publishes the peer port: replicas dial each other's pod IPs.
  for (const service of objects.filter((o) => o.kind === 'Service' && ours(o))) {
    if (!selects(service.spec.selector, labels)) continue
    for (const port of service.spec.ports ?? []) {
      const target = port.targetPort ?? port.port
      if (target === 'peer' || target === peer.containerPort) {
        problems.push(`Service/${service.metadata.name}: publishes the peer port ` +
          `${peer.containerPort} (port ${port.name ?? port.port})`)
      }
    }
  }
}

function checkTgrpcd(objects, overlay, problems) {
  const found = findContainer(objects, 'tgrpcd')
  if (!found) return problems.push('no workload runs a container named tgrpcd')
  const { workload, template, container } = found
  const where = `${workload.kind}/${workload.metadata.name}`
  const labels = template.metadata?.labels
  const grpcPort = container.ports?.find((p) => p.name === 'grpc')?.containerPort
  const metricsPort = container.ports?.find((p) => p.name === 'metrics')?.containerPort
  if (!grpcPort || !metricsPort) problems.push(`${where}: no container ports grpc and metrics`)
  for (const probe of ['startupProbe', 'livenessProbe', 'readinessProbe']) {
    if (container[probe]?.grpc?.port !== grpcPort) {
      problems.push(`${where}: ${probe} is not a gRPC probe on port ${grpcPort}`)
    }
  }
  // Readiness on the named service that goes NOT_SERVING while tgrpcd drains (and, in cluster
  // mode, until the replica has joined and taken its first leases); liveness on the overall one.
  const readiness = container.readinessProbe?.grpc?.service
  if (readiness !== READINESS_SERVICE) {
    problems.push(`${where}: readinessProbe asks for service "${readiness ?? ''}", not ` +
      `"${READINESS_SERVICE}"`)
  }
  const liveness = container.livenessProbe?.grpc?.service ?? ''
  if (liveness !== '') problems.push(`${where}: livenessProbe asks for "${liveness}", not ""`)
  const preStop = container.lifecycle?.preStop
  if (!preStop) problems.push(`${where}: no preStop hook`)
  const settings = tgrpcdSettings(objects, template, container)
  // tgrpcd listens where the container ports say, and keeps its state in a writable volume.
  for (const [key, port] of [['listen', grpcPort], ['metrics_listen', metricsPort]]) {
    if (!String(settings[key] ?? '').endsWith(`:${port}`)) {
      problems.push(`${where}: ${key} ${settings[key]} is not on container port ${port}`)
    }
  }
  const stateMount = (container.volumeMounts ?? []).find((m) => m.mountPath === settings.state_dir)
  if (!stateMount || stateMount.readOnly) {
    problems.push(`${where}: state_dir ${settings.state_dir} is not a writable volume`)
  }
  const cluster = Boolean(settings.peer_listen)
  const replicas = workload.spec.replicas ?? 1
  // In cluster mode the drain is followed by the handover (stop MTProto, flush, release the
  // leases), budgeted at one lease_ttl: a handover cut short costs no more than a lease expiry.
  const drain = durationSeconds(settings.shutdown_grace ?? '10s')
  const handover = cluster ? durationSeconds(settings.lease_ttl ?? '10s') : 0
  const needed = (preStop?.sleep?.seconds ?? 0) + drain + handover + STOP_MARGIN_SECONDS
  const grace = template.spec.terminationGracePeriodSeconds ?? 30
  if (grace <= needed) {
    problems.push(`${where}: terminationGracePeriodSeconds ${grace} is not over ${needed} ` +
      `(preStop sleep + shutdown_grace ${drain} s + ` +
      `${cluster ? `handover (lease_ttl) ${handover} s + ` : ''}${STOP_MARGIN_SECONDS} s)`)
  }
  // Several replicas without peer_listen: one active, the others wait (PostgreSQL's lock), or
  // on SQLite one database held by several processes.
  if (!cluster && replicas > 1) {
    problems.push(`${where}: ${replicas} replicas without peer_listen (not cluster mode): ` +
      'one would be active and the others wait')
  }
  const expected = OVERLAYS[overlay]
  if (expected) {
    if (workload.kind !== expected.kind) problems.push(`${where}: not a ${expected.kind}`)
    if (replicas !== expected.replicas) {
      problems.push(`${where}: ${replicas} replicas, not ${expected.replicas}`)
    }
    if (cluster !== expected.cluster) {
      problems.push(`${where}: cluster mode (peer_listen) is ${cluster ? 'on' : 'off'}`)
    }
    for (const key of ['maxSurge', 'maxUnavailable']) {
      const value = workload.spec.strategy?.rollingUpdate?.[key]
      if (expected[key] !== undefined && value !== expected[key]) {
        problems.push(`${where}: rollingUpdate ${key} ${value}, not ${expected[key]}`)
      }
    }
  }
  if (cluster) {
    checkCluster(objects, found, settings, { grpc: grpcPort, metrics: metricsPort }, problems)
  }
  if (template.metadata?.annotations?.['prometheus.io/port'] !== String(metricsPort)) {
    problems.push(`${where}: annotation prometheus.io/port is not ${metricsPort}`)
  }
  const ours = (o) => o.metadata?.namespace === workload.metadata.namespace
  const budgets = objects.filter((o) => o.kind === 'PodDisruptionBudget' && ours(o) &&
                                        selects(o.spec.selector, labels))
  if (budgets.length === 0) problems.push(`${where}: no PodDisruptionBudget selects its pods`)
  // A drain proceeds (one pod at a time at least) and never takes every replica at once.
  for (const pdb of budgets) {
    const allowed = allowedDisruptions(pdb, replicas)
    if (allowed < 1) {
      problems.push(`PodDisruptionBudget/${pdb.metadata.name}: blocks every drain ` +
        `(${replicas} replicas)`)
    } else if (replicas > 1 && allowed >= replicas) {
      problems.push(`PodDisruptionBudget/${pdb.metadata.name}: lets a drain take all ` +
        `${replicas} replicas`)
    }
  }
  // A ServiceMonitor picks a Service of tgrpcd's pods by label, and the Service's port named
  // in the endpoint leads to the metrics port.
  const scraped = objects.filter((o) => o.kind === 'ServiceMonitor' && ours(o)).some((monitor) =>
    objects.some((service) => service.kind === 'Service' && ours(service) &&
      selects(monitor.spec.selector, service.metadata.labels) &&
      selects(service.spec.selector, labels) &&
      (monitor.spec.endpoints ?? []).some((endpoint) => (service.spec.ports ?? []).some((p) =>
        p.name === endpoint.port &&
        (p.targetPort === 'metrics' || p.targetPort === metricsPort)))))
  if (!scraped) problems.push(`${where}: no ServiceMonitor reaches its metrics port`)
}

// overlay: the overlay's name, for what OVERLAYS expects of it.
export function checkPolicy(objects, overlay) {
  const problems = []
  // Without a namespace an object lands in whatever namespace kubectl's context names.
  for (const object of objects) {
    if (!CLUSTER_SCOPED.has(object.kind) && !object.metadata?.namespace) {
      problems.push(`${object.kind}/${object.metadata?.name}: no namespace`)
    }
  }
  for (const { workload, template } of podTemplates(objects)) {
    const where = `${workload.kind}/${workload.metadata.name}`
    const spec = template.spec ?? {}
    const podSecurity = spec.securityContext ?? {}
    for (const container of [...(spec.initContainers ?? []), ...(spec.containers ?? [])]) {
      checkContainer(`${where} container ${container.name}`, container, podSecurity, problems)
    }
    const policed = objects.some((o) => o.kind === 'NetworkPolicy' &&
      o.metadata?.namespace === workload.metadata.namespace &&
      (Object.keys(o.spec.podSelector ?? {}).length === 0 ||
       selects(o.spec.podSelector, template.metadata?.labels)))
    if (!policed) problems.push(`${where}: no NetworkPolicy selects its pods`)
  }
  checkTgrpcd(objects, overlay, problems)
  return problems
}
