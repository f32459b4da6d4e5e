// Checks one overlay's rendered manifests (`kubectl kustomize` output) offline. Prints one problem
// a line and exits 1 if there is any.
//
//   node validate.mjs schema FILE   every object against its Kubernetes schema (kubernetes-models;
//                                   ServiceMonitor: @kubernetes-models/prometheus-operator), and
//                                   no field the schema does not know (a misspelt field is
//                                   otherwise dropped silently by the API server)
//   node validate.mjs policy FILE [OVERLAY]
//                                   what deploy/k8s promises (README.md): restricted security
//                                   context, requests and limits, gRPC probes (readiness on
//                                   tgrpc.readiness), a grace period longer than the drain and
//                                   handover, a PodDisruptionBudget, NetworkPolicy and scrape
//                                   target for the pods; in cluster mode the peer port reachable
//                                   by tgrpcd's pods only; and what OVERLAY (single, scaled,
//                                   sandbox) is: its kind, replicas, cluster mode
import { loadObjects } from './manifests.mjs'
import { checkPolicy } from './policy.mjs'

// The model class of apiVersion + kind, from kubernetes-models or a CRD package.
async function modelClass(apiVersion, kind) {
  const packages = ['kubernetes-models', '@kubernetes-models/prometheus-operator']
  for (const pkg of packages) {
    try {
      const module = await import(`${pkg}/${apiVersion}/${kind}`)
      if (module[kind]) return module[kind]
    } catch (error) {
      if (error.code !== 'ERR_PACKAGE_PATH_NOT_EXPORTED' && error.code !== 'ERR_MODULE_NOT_FOUND') {
        throw error
      }
    }
  }
  return null
}

// Wraps an object so that the properties the schema's validator reads are recorded. Objects whose
// keys the validator enumerates are maps (labels, ConfigMap data): any key goes there.
function track(value) {
  const node = { value, read: new Set(), enumerated: false, children: new Map() }
  node.proxy = new Proxy(value, {
    get(target, key) {
      const child = target[key]
      if (typeof key !== 'string' || !Object.hasOwn(target, key)) return child
      node.read.add(key)
      if (child === null || typeof child !== 'object') return child
      if (!node.children.has(key)) node.children.set(key, track(child))
      return node.children.get(key).proxy
    },
    has(target, key) {
      if (typeof key === 'string') node.read.add(key)
      return key in target
    },
    ownKeys(target) {
      node.enumerated = true
      return Reflect.ownKeys(target)
    },
  })
  return node
}

function unknownFields(node, path, out) {
  if (!Array.isArray(node.value) && !node.enumerated) {
    for (const key of Object.keys(node.value)) {
      if (!node.read.has(key)) out.push(`${path}/${key}`)
    }
  }
  for (const [key, child] of node.children) unknownFields(child, `${path}/${key}`, out)
}

// kustomize wraps a Secret's base64 at 70 columns; the API server's decoder (Go's encoding/base64)
// skips the newlines, the schema's "byte" pattern does not.
function withUnwrappedBase64(object) {
  if (object.kind !== 'Secret' || !object.data) return object
  const data = Object.fromEntries(
    Object.entries(object.data).map(([key, value]) => [key, String(value).replace(/[\r\n]/g, '')]))
  return { ...object, data }
}

async function checkSchemas(objects) {
  const problems = []
  for (const object of objects) {
    const name = `${object.kind}/${object.metadata?.name}`
    const Model = await modelClass(object.apiVersion, object.kind)
    if (Model === null) {
      problems.push(`${name}: no schema for ${object.apiVersion} ${object.kind}`)
      continue
    }
    const root = track(withUnwrappedBase64(object))
    try {
      Model.prototype.validate.call(root.proxy)
    } catch (error) {
      problems.push(`${name}: ${error.message}`)
    }
    const unknown = []
    unknownFields(root, '', unknown)
    for (const field of unknown) problems.push(`${name}: unknown field ${field}`)
  }
  return problems
}

const [check, file, overlay] = process.argv.slice(2)
if (!['schema', 'policy'].includes(check) || !file) {
  console.error('usage: node validate.mjs schema|policy FILE [OVERLAY]')
  process.exit(2)
}
const objects = loadObjects(file)
const problems = check === 'schema' ? await checkSchemas(objects) : checkPolicy(objects, overlay)
for (const problem of problems) console.log(problem)
process.exit(problems.length > 0 ? 1 : 0)
