// Lays out tgrpcd's container from one overlay's rendered manifests as a local directory, so that
// check.sh can hand the real tgrpcd binary the same settings the pod gets:
//
//   node tgrpcd_args.mjs RENDERED.yaml EXAMPLES_DIR OUT_DIR
//
// writes OUT_DIR/root/<mountPath>/<file> for each ConfigMap and Secret volume (a Secret the
// overlay does not generate comes from EXAMPLES_DIR/<secret name>/, the formats README.md shows),
// OUT_DIR/args (the container's args, paths under a mount moved under OUT_DIR/root) and
// OUT_DIR/env (its environment as NAME=VALUE), both NUL-separated.
import {
  copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync,
} from 'node:fs'
import { join } from 'node:path'

import { find, findContainer, loadObjects } from './manifests.mjs'

// Stand-ins for what only a running pod knows (the downward API).
const FIELD_VALUES = {
  'metadata.name': 'tgrpcd-0',
  'metadata.namespace': 'tgrpc',
  'status.podIP': '192.0.2.10',
  'spec.nodeName': 'node-1',
}

function fail(message) {
  console.error(`tgrpcd_args: ${message}`)
  process.exit(1)
}

// The files of a ConfigMap or Secret: {key: Buffer or example file path}. A Secret the overlay
// does not make comes from the examples, or is empty when they have none either (the
// key-encryption key: tgrpcd reads it when it starts, not when it parses its settings).
function sourceFiles(objects, examples, volume) {
  if (volume.configMap) {
    const map = find(objects, 'ConfigMap', volume.configMap.name)
    if (!map) fail(`no ConfigMap ${volume.configMap.name}`)
    const files = {}
    for (const [key, text] of Object.entries(map.data ?? {})) files[key] = Buffer.from(text)
    for (const [key, b64] of Object.entries(map.binaryData ?? {})) {
      files[key] = Buffer.from(b64, 'base64')
    }
    return files
  }
  const name = volume.secret.secretName
  const secret = find(objects, 'Secret', name)
  const files = {}
  if (secret) {
    for (const [key, b64] of Object.entries(secret.data ?? {})) {
      files[key] = Buffer.from(b64, 'base64')
    }
    for (const [key, text] of Object.entries(secret.stringData ?? {})) {
      files[key] = Buffer.from(text)
    }
    return files
  }
  const dir = join(examples, name)
  if (!existsSync(dir)) return files
  for (const key of readdirSync(dir)) files[key] = join(dir, key)
  return files
}

function writeVolume(files, items, dir) {
  mkdirSync(dir, { recursive: true })
  const wanted = items ?? Object.keys(files).map((key) => ({ key, path: key }))
  for (const { key, path } of wanted) {
    if (files[key] === undefined) fail(`no key ${key} for ${dir}`)
    mkdirSync(join(dir, path, '..'), { recursive: true })
    if (typeof files[key] === 'string') copyFileSync(files[key], join(dir, path))
    else writeFileSync(join(dir, path), files[key])
  }
}

const [rendered, examples, out] = process.argv.slice(2)
if (!out) fail('usage: node tgrpcd_args.mjs RENDERED.yaml EXAMPLES_DIR OUT_DIR')
const objects = loadObjects(rendered)
const found = findContainer(objects, 'tgrpcd')
if (!found) fail('no workload runs a container named tgrpcd')
const { template, container } = found
const root = join(out, 'root')
const mounts = container.volumeMounts ?? []

for (const mount of mounts) {
  const volume = (template.spec.volumes ?? []).find((v) => v.name === mount.name)
  const dir = join(root, mount.mountPath)
  if (volume?.configMap || volume?.secret) {
    const items = (volume.configMap ?? volume.secret).items
    writeVolume(sourceFiles(objects, examples, volume), items, dir)
  } else {
    mkdirSync(dir, { recursive: true })
  }
}

const env = {}
const expand = (text) =>
  text.replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (all, name) => env[name] ?? all)
for (const variable of container.env ?? []) {
  let value = variable.value
  if (value !== undefined) {
    value = expand(value)
  } else if (variable.valueFrom?.fieldRef) {
    value = FIELD_VALUES[variable.valueFrom.fieldRef.fieldPath] ?? 'placeholder'
  } else {
    const ref = variable.valueFrom?.secretKeyRef ?? variable.valueFrom?.configMapKeyRef
    const volume = variable.valueFrom?.secretKeyRef
      ? { secret: { secretName: ref.name } }
      : { configMap: { name: ref.name } }
    const file = sourceFiles(objects, examples, volume)[ref.key]
    if (file === undefined) fail(`no key ${ref.key} in ${ref.name} for ${variable.name}`)
    value = typeof file === 'string' ? String(readFileSync(file)) : file.toString()
  }
  env[variable.name] = value
}

const underMount = (value) =>
  mounts.some((m) => value === m.mountPath || value.startsWith(`${m.mountPath}/`))
// The kubelet expands $(VAR) in args as in env values (e.g. --advertise_host=$(POD_IP)).
const args = (container.args ?? []).map((arg) => expand(arg)).map((arg) => {
  const flag = /^(--[^=]+=)(.*)$/s.exec(arg)
  if (flag && underMount(flag[2])) return flag[1] + root + flag[2]
  return underMount(arg) ? root + arg : arg
})

writeFileSync(join(out, 'args'), args.map((a) => `${a}\0`).join(''))
writeFileSync(join(out, 'env'), Object.entries(env).map(([k, v]) => `${k}=${v}\0`).join(''))
