// DuckDB side of the mailhunt benchmark: the Sentinel T1071.003 query
// (../shared/seeds/sentinel-kql.txt) as SQL over read_ndjson.
//
//   node run.mjs --naming mde|sysmon --file F [--threads N] [--reps R]
//                [--now TIME] [--rows OUT.csv] [--warmup W]
//                [--strict-action] [--explain]
//
// --strict-action: Sysmon naming only: keep the query's
//   ActionType == "ConnectionSuccess" literally (Sysmon has no ActionType,
//   so no row matches), as mailhunt's sentinel profile does.
// --warmup: untimed runs of the query before the timed ones.
// DuckDB's in-memory external file cache is switched off, so every run
// reads the file through the OS page cache, like mailhunt does.
// --now: the "now" of ago(24h), as the file's time text (Defender
//   "2026-11-22T23:59:14.3606842Z" or Sysmon "2026-11-22 23:59:14.360").
//   Without it, a first, untimed query computes max(time) over the file.
// --rows: writes the result rows as canonical CSV (sorted bytewise by
//   host, process, remote_ip, port, account) for comparison with mailhunt.
//
// Prints one line per repetition and a final summary line:
//   RUN naming=mde threads=1 rep=1 seconds=4.123 cpu=4.101
//   RESULT naming=mde threads=1 reps=5 median_s=4.100 min_s=4.0 \
//     gbps=0.262 rows=321 bytes=1073741824
// Time is measured inside this process around the query only (node and
// DuckDB start-up are excluded), so it is a lower bound for DuckDB.
import { DuckDBInstance } from '@duckdb/node-api';
import { statSync, writeFileSync } from 'node:fs';

const PORTS = '25, 465, 587, 110, 995, 143, 993';
// KQL: InitiatingProcessFileName !in~ (...): case-insensitive not-in.
const MAIL_CLIENTS = [
  'outlook.exe', 'thunderbird.exe', 'OUTLOOK.EXE', 'MailClient.exe',
  'eM Client.exe', 'msedge.exe', 'chrome.exe',
];
const CLIENTS_SQL = [...new Set(MAIL_CLIENTS.map((s) => s.toLowerCase()))]
  .map((s) => `'${s.replace(/'/g, "''")}'`).join(', ');

function usage(msg) {
  if (msg) console.error(`run.mjs: ${msg}`);
  console.error('usage: node run.mjs --naming mde|sysmon --file F ' +
    '[--threads N] [--reps R] [--now TIME] [--rows OUT.csv] [--warmup W] ' +
    '[--strict-action] [--explain]');
  process.exit(2);
}

const opt = { threads: 1, reps: 1, warmup: 0 };
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  const val = () => {
    if (i + 1 >= argv.length) usage(`${a} needs a value`);
    return argv[++i];
  };
  if (a === '--naming') opt.naming = val();
  else if (a === '--file') opt.file = val();
  else if (a === '--threads') opt.threads = Number(val());
  else if (a === '--reps') opt.reps = Number(val());
  else if (a === '--now') opt.now = val();
  else if (a === '--warmup') opt.warmup = Number(val());
  else if (a === '--rows') opt.rows = val();
  else if (a === '--explain') opt.explain = true;
  else if (a === '--strict-action') opt.strict = true;
  else usage(`unknown argument ${a}`);
}
if (!['mde', 'sysmon'].includes(opt.naming)) usage('--naming mde|sysmon');
if (!opt.file) usage('--file is required');
if (!(opt.threads >= 1) || !(opt.reps >= 1) || !(opt.warmup >= 0))
  usage('bad --threads/--reps/--warmup');

const sqlStr = (s) => `'${String(s).replace(/'/g, "''")}'`;
const file = sqlStr(opt.file);

// One naming = the column names of one source. `proc` is the process
// file name (Sysmon: basename of Image, either separator).
const N = opt.naming === 'mde'
  ? {
      time: 'Timestamp', host: 'DeviceName', ip: 'RemoteIP',
      port: 'RemotePort', acct: 'AccountName', proc: 'InitiatingProcessFileName',
      columns: `{Timestamp: 'TIMESTAMP', DeviceName: 'VARCHAR',
        ActionType: 'VARCHAR', RemoteIP: 'VARCHAR', RemotePort: 'INTEGER',
        InitiatingProcessFileName: 'VARCHAR', AccountName: 'VARCHAR',
        SentBytes: 'BIGINT'}`,
      // ActionType == "ConnectionSuccess"
      extra: `ActionType = 'ConnectionSuccess'`,
      bytes: 'sum(SentBytes)',
    }
  : {
      time: 'UtcTime', host: 'Hostname', ip: 'DestinationIp',
      port: 'DestinationPort', acct: '"User"',
      proc: `regexp_extract(Image, '[^\\\\/]*$')`,
      columns: `{UtcTime: 'TIMESTAMP', Hostname: 'VARCHAR',
        EventID: 'INTEGER', Image: 'VARCHAR', "User": 'VARCHAR',
        DestinationIp: 'VARCHAR', DestinationPort: 'INTEGER'
        ${opt.strict ? ", ActionType: 'VARCHAR'" : ''}}`,
      // Sysmon Event ID 3 = network connection; it has no ActionType
      // and no byte counts.
      extra: opt.strict ? `EventID = 3 AND ActionType = 'ConnectionSuccess'`
        : 'EventID = 3',
      bytes: 'CAST(NULL AS BIGINT)',
    };

const src = `read_ndjson(${file}, format = 'newline_delimited',
  columns = ${N.columns})`;

function query(now) {
  return `
SELECT ${N.host} AS host, ${N.proc} AS process, ${N.ip} AS remote_ip,
  ${N.port} AS port,
  CASE WHEN ${N.port} IN (25, 465, 587) THEN 'SMTP'
       WHEN ${N.port} IN (110, 995) THEN 'POP3'
       WHEN ${N.port} IN (143, 993) THEN 'IMAP'
       ELSE 'Unknown' END AS protocol,
  ${N.acct} AS account,
  count(*) AS connection_count,
  count(DISTINCT ${N.ip}) AS unique_remote_ips,
  ${N.bytes} AS bytes_sent,
  min(${N.time}) AS first_seen,
  max(${N.time}) AS last_seen
FROM ${src}
WHERE ${N.time} > TIMESTAMP ${sqlStr(now)} - INTERVAL 24 HOUR
  AND ${N.port} IN (${PORTS})
  AND ${N.extra}
  AND lower(${N.proc}) NOT IN (${CLIENTS_SQL})
GROUP BY ALL
HAVING count(*) > 2
ORDER BY connection_count DESC`;
}

// "2026-11-22T23:59:14.3606842Z" -> "2026-11-22 23:59:14.3606842";
// DuckDB keeps microseconds.
function normNow(s) {
  return s.replace('T', ' ').replace(/Z$/, '');
}

const inst = await DuckDBInstance.create(':memory:');
const conn = await inst.connect();
await conn.run(`SET threads = ${opt.threads}`);
await conn.run('SET enable_external_file_cache = false');
const version = (await conn.runAndReadAll('SELECT version() AS v'))
  .getRowObjectsJson()[0].v;

let now = opt.now ? normNow(opt.now) : null;
if (!now) {
  const r = await conn.runAndReadAll(
    `SELECT CAST(max(${N.time}) AS VARCHAR) AS m FROM ${src}`);
  now = r.getRowObjectsJson()[0].m;
  console.error(`run.mjs: now = max(${N.time}) = ${now} (untimed)`);
}

const sql = query(now);
if (opt.explain) console.error(sql);

const bytes = statSync(opt.file).size;
const times = [];
let rows = [];
for (let w = 0; w < opt.warmup; w++) await conn.runAndReadAll(sql);
for (let rep = 1; rep <= opt.reps; rep++) {
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const reader = await conn.runAndReadAll(sql);
  rows = reader.getRowObjectsJson();
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  const c = process.cpuUsage(c0);
  times.push(s);
  // cpu: user + system CPU seconds of the whole process (all threads)
  console.log(`RUN naming=${opt.naming} threads=${opt.threads} rep=${rep} ` +
    `seconds=${s.toFixed(4)} cpu=${((c.user + c.system) / 1e6).toFixed(4)}`);
}

if (opt.rows) {
  const csvCell = (v) => {
    const s = v === null || v === undefined ? '' : String(v);
    return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  const cols = ['host', 'process', 'remote_ip', 'port', 'protocol', 'account',
    'connection_count', 'unique_remote_ips', 'bytes_sent', 'first_seen',
    'last_seen'];
  const key = (r) => [r.host, r.process, r.remote_ip, String(r.port),
    r.account ?? ''].join('\u0000');
  const sorted = rows.map((r) => [key(r), r])
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .map((x) => x[1]);
  const out = [cols.join(',')]
    .concat(sorted.map((r) => cols.map((c) => csvCell(r[c])).join(',')));
  writeFileSync(opt.rows, out.join('\n') + '\n');
}

const sortedT = [...times].sort((a, b) => a - b);
const median = sortedT[Math.floor((sortedT.length - 1) / 2)] / 2 +
  sortedT[Math.ceil((sortedT.length - 1) / 2)] / 2;
console.log(`RESULT naming=${opt.naming} threads=${opt.threads} ` +
  `reps=${opt.reps} median_s=${median.toFixed(4)} ` +
  `min_s=${sortedT[0].toFixed(4)} gbps=${(bytes / median / 1e9).toFixed(3)} ` +
  `rows=${rows.length} bytes=${bytes} duckdb=${version} ` +
  `now=${JSON.stringify(now)}`);
