// Tables for the back-to-back load cells: gateway vs direct, gateway vs the peer, CPU per relayed
// chunk and CPU % of one core per process.
import {
  type CellResult,
  errorText,
  gatewayCpuMs,
  gatewayRoles,
  mebibytes,
  microsecondsPerChunk,
  overheadPair,
  pair,
  passLabels,
  percent,
  ratio,
  tableLines,
  ttftOverhead,
} from './cells.js';

const loadCells = (cells: CellResult[]): CellResult[] => cells.filter((cell) => cell.kind === 'load');
const cellKey = (cell: CellResult): string[] => [
  passLabels[cell.pass],
  cell.kind === 'slow' ? 'slow stream' : cell.mode,
  String(cell.chunks),
  String(cell.concurrency),
];
const keyHeader = ['pass', 'mode', 'chunks', 'c'];

export function resultsTable(cells: CellResult[]): string {
  const roles = gatewayRoles(cells);
  const header = [
    ...keyHeader,
    'gw requests',
    'gw req/s',
    'gw errors',
    'direct req/s',
    'direct errors',
    'gw latency p50/p99 ms',
    'direct latency p50/p99 ms',
    'gw TTFT p50/p99 ms',
    'direct TTFT p50/p99 ms',
    'TTFT overhead p50/p99 ms',
    `peak RSS ${[...roles, 'mock'].join(' / ')} MiB`,
  ];
  const rows = loadCells(cells).map((cell) => {
    const gateway = cell.gateway.summary;
    const direct = cell.direct.summary;
    const mockPeak = Math.max(
      cell.gatewayResources.peakRssBytes.mock ?? 0,
      cell.directResources.peakRssBytes.mock ?? 0,
    );
    return [
      ...cellKey(cell),
      String(gateway.requests),
      gateway.requestsPerSecond.toFixed(0),
      errorText(cell.gateway),
      direct.requestsPerSecond.toFixed(0),
      errorText(cell.direct),
      pair(gateway.latency),
      pair(direct.latency),
      pair(gateway.ttft),
      pair(direct.ttft),
      overheadPair(ttftOverhead(cell)),
      [...roles.map((role) => mebibytes(cell.gatewayResources.peakRssBytes[role])), mebibytes(mockPeak)].join(
        ' / ',
      ),
    ];
  });
  return tableLines(header, keyHeader.length, rows).join('\n');
}

/** Gateway next to the peer per cell; '' when no cell ran the peer. */
export function peerTable(cells: CellResult[]): string {
  const roles = gatewayRoles(cells);
  const header = [
    ...keyHeader,
    'gw req/s',
    'peer req/s',
    'gw / peer req/s',
    'peer errors',
    'gw latency p50/p99 ms',
    'peer latency p50/p99 ms',
    'gw TTFT p50/p99 ms',
    'peer TTFT p50/p99 ms',
    'peer TTFT overhead p50/p99 ms',
    `peak RSS ${roles.join(' + ')} MiB`,
    'peak RSS peer MiB',
  ];
  const rows = loadCells(cells)
    .filter((cell) => cell.peer !== null)
    .map((cell) => {
      const peer = cell.peer?.summary;
      const gateway = cell.gateway.summary;
      const gatewayRss = roles.reduce(
        (sum, role) => sum + (cell.gatewayResources.peakRssBytes[role] ?? 0),
        0,
      );
      return [
        ...cellKey(cell),
        gateway.requestsPerSecond.toFixed(0),
        peer ? peer.requestsPerSecond.toFixed(0) : '–',
        peer ? ratio(gateway.requestsPerSecond, peer.requestsPerSecond) : '–',
        errorText(cell.peer),
        pair(gateway.latency),
        pair(peer?.latency),
        pair(gateway.ttft),
        pair(peer?.ttft),
        overheadPair(ttftOverhead(cell, 'peer')),
        mebibytes(gatewayRss),
        mebibytes(cell.peerResources?.peakRssBytes.peer),
      ];
    });
  return rows.length === 0 ? '' : tableLines(header, keyHeader.length, rows).join('\n');
}

/** Gateway (and peer) CPU time in the measured window per relayed content chunk, every cell. */
export function cpuPerChunkTable(cells: CellResult[]): string {
  const roles = gatewayRoles(cells);
  const withPeer = cells.some((cell) => cell.peer !== null);
  const header = [
    ...keyHeader,
    'gw completions',
    `${roles.join(' + ')} CPU s`,
    'gw CPU µs / chunk',
    ...(withPeer ? ['peer completions', 'peer CPU s', 'peer CPU µs / chunk'] : []),
  ];
  const seconds = (ms: number | null | undefined): string =>
    ms === null || ms === undefined ? '–' : (ms / 1000).toFixed(2);
  const micro = (value: number | null): string => (value === null ? '–' : value.toFixed(1));
  const rows = cells.map((cell) => {
    const cpu = gatewayCpuMs(cell);
    const peerCpu = cell.peerResources?.measuredCpuMs.peer ?? null;
    return [
      ...cellKey(cell),
      String(cell.gateway.completedInWindow),
      seconds(cpu),
      micro(microsecondsPerChunk(cpu, cell.gateway, cell.chunks)),
      ...(withPeer
        ? cell.peer
          ? [
              String(cell.peer.completedInWindow),
              seconds(peerCpu),
              micro(microsecondsPerChunk(peerCpu, cell.peer, cell.chunks)),
            ]
          : ['–', '–', '–']
        : []),
    ];
  });
  return tableLines(header, keyHeader.length, rows).join('\n');
}

export function cpuTable(cells: CellResult[]): string {
  const roles = gatewayRoles(cells);
  const withPeer = cells.some((cell) => cell.peer !== null);
  const shared = ['redis', 'mariadb'].filter((name) =>
    cells.some((cell) => name in cell.gatewayResources.cpuPercent),
  );
  const header = [
    ...keyHeader,
    ...roles.map((role) => `${role} CPU %`),
    'mock CPU %',
    'driver CPU %',
    ...shared.map((name) => `${name} CPU %`),
    'direct: mock CPU %',
    'direct: driver CPU %',
    ...(withPeer ? ['peer: peer CPU %', 'peer: mock CPU %', 'peer: driver CPU %'] : []),
  ];
  const rows = cells.map((cell) => {
    const gateway = cell.gatewayResources.cpuPercent;
    const direct = cell.directResources.cpuPercent;
    const peer = cell.peerResources?.cpuPercent;
    return [
      ...cellKey(cell),
      ...roles.map((role) => percent(gateway[role])),
      percent(gateway.mock),
      percent(gateway.driver),
      ...shared.map((name) => percent(gateway[name])),
      percent(direct.mock),
      percent(direct.driver),
      ...(withPeer ? [percent(peer?.peer), percent(peer?.mock), percent(peer?.driver)] : []),
    ];
  });
  return tableLines(header, keyHeader.length, rows).join('\n');
}
