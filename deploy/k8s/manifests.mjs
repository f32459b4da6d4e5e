// Reading `kubectl kustomize` output: the objects, and the pod templates of the workloads.
import { readFileSync } from 'node:fs'
import { parseAllDocuments } from 'yaml'

export function loadObjects(file) {
  const objects = []
  for (const document of parseAllDocuments(readFileSync(file, 'utf8'))) {
    if (document.errors.length > 0) throw new Error(`${file}: ${document.errors[0].message}`)
    const object = document.toJS()
    if (object !== null) objects.push(object)
  }
  return objects
}

const WORKLOADS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'Job'])

// [{workload, template}] for every object that runs pods.
export function podTemplates(objects) {
  return objects
    .filter((o) => WORKLOADS.has(o.kind))
    .map((workload) => ({ workload, template: workload.spec?.template ?? {} }))
}

// The workload whose pods run a container of this name, and that container.
export function findContainer(objects, name) {
  for (const { workload, template } of podTemplates(objects)) {
    const container = (template.spec?.containers ?? []).find((c) => c.name === name)
    if (container) return { workload, template, container }
  }
  return null
}

export function find(objects, kind, name) {
  return objects.find((o) => o.kind === kind && o.metadata?.name === name) ?? null
}

// Whether a label selector ({matchLabels}) picks pods or objects with these labels.
export function selects(selector, labels) {
  const match = selector?.matchLabels ?? selector ?? {}
  const keys = Object.keys(match)
  return keys.length > 0 && keys.every((k) => labels?.[k] === match[k])
}
