import type { K6Manifest } from './export-k6.ts';

/** Kubernetes refuses a ConfigMap above 1 MiB (data and metadata together). */
export const CONFIGMAP_LIMIT_BYTES = 1024 * 1024;

function cmName(plan: string, file: string): string {
  return `fleetbed-${plan}-${file.replace(/\.(json|ts)$/, '').replace(/[^a-z0-9-]/g, '-')}`.slice(0, 63).replace(/-+$/, '');
}

/**
 * A k6-operator TestRun for the export. Every file below 1 MiB gets its own ConfigMap
 * (`kubectl create configmap` lines are in the header comment), mounted by subPath into
 * /data/; above 64 MiB of data, the TestRun mounts a PersistentVolumeClaim `fleetbed-k6-data`
 * holding the export directory instead (manifest.kubernetes.mount says which applies).
 */
export function testRunYaml(m: K6Manifest, files: readonly string[], parallelism: number): string {
  const plan = m.plan.name;
  const data = files.filter((f) => f !== 'script.ts' && f !== 'testrun.yaml');
  const pvc = m.kubernetes.mount === 'pvc';
  const lines = [
    `# k6-operator TestRun for load plan ${plan} (seed ${m.plan.seed}), written by fleetbed k6 export.`,
    `# ${m.phases.load.rows} load rows, ${m.phases.prelude.rows} prelude rows, ${(m.kubernetes.dataBytes / 1048576).toFixed(1)} MiB of data.`,
    pvc
      ? `# Data above 64 MiB: copy this directory into the PVC fleetbed-k6-data (ReadOnlyMany), e.g. through a helper pod and kubectl cp.`
      : `# Create the ConfigMaps (each file is below 1 MiB) from the export directory first:`,
    `#   kubectl create configmap ${cmName(plan, 'script.ts')} --from-file=script.ts`,
    ...(pvc ? [] : data.map((f) => `#   kubectl create configmap ${cmName(plan, f)} --from-file=${f}`)),
    ...(m.phases.prelude.rows > 0 ? [`# The plan has a prelude: apply once with FLEETBED_PHASE=prelude, wait for it to finish, then with load.`] : []),
    'apiVersion: k6.io/v1alpha1',
    'kind: TestRun',
    'metadata:',
    `  name: fleetbed-${plan}`,
    'spec:',
    `  parallelism: ${parallelism}`,
    '  arguments: --summary-export=/tmp/summary.json',
    '  script:',
    '    configMap:',
    `      name: ${cmName(plan, 'script.ts')}`,
    '      file: script.ts',
    '  runner:',
    '    env:',
    '      - name: FLEETBED_TARGET_URL',
    '        value: "http://platform.test:8080"',
    '      - name: FLEETBED_PHASE',
    '        value: "load"',
    '      - name: FLEETBED_DATA_DIR',
    '        value: "/data/"',
    '      - name: K6_PROMETHEUS_RW_TREND_AS_NATIVE_HISTOGRAM',
    '        value: "true"',
    '    volumes:',
    ...(pvc
      ? ['      - name: data', '        persistentVolumeClaim:', '          claimName: fleetbed-k6-data', '          readOnly: true']
      : data.flatMap((f, i) => [`      - name: d${i}`, '        configMap:', `          name: ${cmName(plan, f)}`])),
    '    volumeMounts:',
    ...(pvc ? ['      - name: data', '        mountPath: /data'] : data.flatMap((f, i) => [`      - name: d${i}`, `        mountPath: /data/${f}`, `        subPath: ${f}`])),
  ];
  return lines.join('\n') + '\n';
}
