// The Pod Security Standards' "baseline" and "restricted" checks (kubernetes.io/docs/concepts/
// security/pod-security-standards, policy version v1.32) over a pod spec, as Pod Security admission
// applies them to a namespace labelled pod-security.kubernetes.io/enforce: restricted. Returns
// every violation found, each naming the field, so a test can assert none.

type Json = Record<string, unknown>;

interface SecurityContext {
  privileged?: boolean;
  allowPrivilegeEscalation?: boolean;
  runAsNonRoot?: boolean;
  runAsUser?: number;
  procMount?: string;
  capabilities?: { add?: string[]; drop?: string[] };
  seccompProfile?: { type?: string };
  appArmorProfile?: { type?: string };
  seLinuxOptions?: { type?: string; user?: string; role?: string };
  windowsOptions?: { hostProcess?: boolean };
  sysctls?: { name: string }[];
}

interface Container {
  name: string;
  securityContext?: SecurityContext;
  ports?: { hostPort?: number }[];
}

export interface PodSpec {
  hostNetwork?: boolean;
  hostPID?: boolean;
  hostIPC?: boolean;
  securityContext?: SecurityContext;
  containers: Container[];
  initContainers?: Container[];
  ephemeralContainers?: Container[];
  volumes?: Json[];
}

const BASELINE_CAPABILITIES = new Set(['AUDIT_WRITE', 'CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'KILL', 'MKNOD', 'NET_BIND_SERVICE', 'SETFCAP', 'SETGID', 'SETPCAP', 'SETUID', 'SYS_CHROOT']);
const SAFE_SYSCTLS = new Set(['kernel.shm_rmid_forced', 'net.ipv4.ip_local_port_range', 'net.ipv4.ip_unprivileged_port_start', 'net.ipv4.tcp_syncookies', 'net.ipv4.ping_group_range',
  'net.ipv4.ip_local_reserved_ports', 'net.ipv4.tcp_keepalive_time', 'net.ipv4.tcp_fin_timeout', 'net.ipv4.tcp_keepalive_intvl', 'net.ipv4.tcp_keepalive_probes']);
const SELINUX_TYPES = new Set(['', 'container_t', 'container_init_t', 'container_kvm_t', 'container_engine_t']);
const RESTRICTED_VOLUMES = new Set(['configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral', 'persistentVolumeClaim', 'projected', 'secret']);

export function podSecurityViolations(pod: PodSpec, annotations: Record<string, string> = {}): string[] {
  const found: string[] = [];
  const containers: [string, Container][] = [
    ...pod.containers.map((c): [string, Container] => [`spec.containers[${c.name}]`, c]),
    ...(pod.initContainers ?? []).map((c): [string, Container] => [`spec.initContainers[${c.name}]`, c]),
    ...(pod.ephemeralContainers ?? []).map((c): [string, Container] => [`spec.ephemeralContainers[${c.name}]`, c]),
  ];
  const podSc = pod.securityContext ?? {};

  // Baseline.
  for (const field of ['hostNetwork', 'hostPID', 'hostIPC'] as const) if (pod[field]) found.push(`spec.${field}: must be unset or false`);
  const contexts: [string, SecurityContext][] = [['spec.securityContext', podSc], ...containers.map(([p, c]): [string, SecurityContext] => [`${p}.securityContext`, c.securityContext ?? {}])];
  for (const [path, sc] of contexts) {
    if (sc.windowsOptions?.hostProcess) found.push(`${path}.windowsOptions.hostProcess: must be false`);
    if (sc.seccompProfile?.type === 'Unconfined') found.push(`${path}.seccompProfile.type: Unconfined is not allowed`);
    if (sc.appArmorProfile?.type === 'Unconfined') found.push(`${path}.appArmorProfile.type: Unconfined is not allowed`);
    if (sc.seLinuxOptions && (!SELINUX_TYPES.has(sc.seLinuxOptions.type ?? '') || sc.seLinuxOptions.user || sc.seLinuxOptions.role)) found.push(`${path}.seLinuxOptions: only the container types, no user or role`);
    if (sc.runAsUser === 0) found.push(`${path}.runAsUser: must not be 0`);
    if (sc.runAsNonRoot === false) found.push(`${path}.runAsNonRoot: must not be false`);
  }
  for (const s of podSc.sysctls ?? []) if (!SAFE_SYSCTLS.has(s.name)) found.push(`spec.securityContext.sysctls: ${s.name} is not a safe sysctl`);
  for (const [name, value] of Object.entries(annotations)) {
    if (name.startsWith('container.apparmor.security.beta.kubernetes.io/') && value === 'unconfined') found.push(`metadata.annotations[${name}]: unconfined is not allowed`);
  }
  for (const [path, c] of containers) {
    const sc = c.securityContext ?? {};
    if (sc.privileged) found.push(`${path}.securityContext.privileged: must be false`);
    if (sc.procMount && sc.procMount !== 'Default') found.push(`${path}.securityContext.procMount: must be Default`);
    for (const port of c.ports ?? []) if (port.hostPort) found.push(`${path}.ports: hostPort ${port.hostPort} is not allowed`);
    for (const cap of sc.capabilities?.add ?? []) {
      if (!BASELINE_CAPABILITIES.has(cap)) found.push(`${path}.securityContext.capabilities.add: ${cap} is not allowed`);
      else if (cap !== 'NET_BIND_SERVICE') found.push(`${path}.securityContext.capabilities.add: only NET_BIND_SERVICE may be added`);
    }
    // Restricted, per container.
    if (sc.allowPrivilegeEscalation !== false) found.push(`${path}.securityContext.allowPrivilegeEscalation: must be false`);
    if (!(sc.capabilities?.drop ?? []).includes('ALL')) found.push(`${path}.securityContext.capabilities.drop: must include ALL`);
    if (sc.runAsNonRoot !== true && podSc.runAsNonRoot !== true) found.push(`${path}.securityContext.runAsNonRoot: must be true (here or in spec.securityContext)`);
    const seccomp = sc.seccompProfile?.type ?? podSc.seccompProfile?.type;
    if (seccomp !== 'RuntimeDefault' && seccomp !== 'Localhost') found.push(`${path}.securityContext.seccompProfile.type: must be RuntimeDefault or Localhost (here or in spec.securityContext)`);
  }
  // Volumes: baseline forbids hostPath; restricted allows only these types.
  for (const volume of pod.volumes ?? []) {
    const type = Object.keys(volume).find((k) => k !== 'name') ?? '';
    if (!RESTRICTED_VOLUMES.has(type)) found.push(`spec.volumes[${String(volume.name)}]: ${type} volumes are not allowed`);
  }
  return found;
}
