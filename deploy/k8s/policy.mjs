// What every overlay promises (README.md), checked on its rendered objects: each pod is locked
// down and sized, each container probed, tgrpcd's grace period outlasts its drain, and its pods
// have a disruption budget, a network policy and a scrape target. One problem a string.
import { find, findContainer, podTemplates, selects } from './manifests.mjs'

const UID = 65532
// Besides the preStop sleep and shutdown_grace: closing the MTProto connections and the database.
const STOP_MARGIN_SECONDS = 5

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

// The settings tgrpcd starts with, as far as the manifests say: --config files from ConfigMaps,
// then literal TGRPC_* variables, then flags (tgrpcd's own order). Not the image's environment:
// the flags name what the pod spec depends on.
function tgrpcdSettings(objects, template, container) {
  const settings = {}
  const args = container.args ?? []
  const flags = args.map((a) => /^--([^=]+)=(.*)$/s.exec(a)).filter(Boolean)
  for (const [, name, path] of flags) {
    if (name !== 'config') continue
    const mount = (container.volumeMounts ?? []).find((m) => path.startsWith(`${m.mountPath}/`))
    const volume = (template.spec.volumes ?? []).find((v) => v.name === mount?.name)
    const configMap = volume?.configMap && find(objects, 'ConfigMap', volume.configMap.name)
    const text = configMap?.data?.[path.slice(mount.mountPath.length + 1)]
    if (text !== undefined) Object.assign(settings, JSON.parse(text))
  }
  for (const env of container.env ?? []) {
    if (env.name.startsWith('TGRPC_') && env.value !== undefined) {
      settings[env.name.slice(6).toLowerCase()] = env.value
    }
  }
  for (const [, name, value] of flags) if (name !== 'config') settings[name] = value
  return settings
}

function checkTgrpcd(objects, problems) {
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
  const drain = durationSeconds(settings.shutdown_grace ?? '10s')
  const needed = (preStop?.sleep?.seconds ?? 0) + drain + STOP_MARGIN_SECONDS
  const grace = template.spec.terminationGracePeriodSeconds ?? 30
  if (grace <= needed) {
    problems.push(`${where}: terminationGracePeriodSeconds ${grace} is not over ${needed} ` +
      `(preStop sleep + shutdown_grace ${drain} s + ${STOP_MARGIN_SECONDS} s)`)
  }
  if (template.metadata?.annotations?.['prometheus.io/port'] !== String(metricsPort)) {
    problems.push(`${where}: annotation prometheus.io/port is not ${metricsPort}`)
  }
  const ours = (o) => o.metadata?.namespace === workload.metadata.namespace
  if (!objects.some((o) => o.kind === 'PodDisruptionBudget' && ours(o) &&
                          selects(o.spec.selector, labels))) {
    problems.push(`${where}: no PodDisruptionBudget selects its pods`)
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

export function checkPolicy(objects) {
  const problems = []
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
  checkTgrpcd(objects, problems)
  return problems
}
