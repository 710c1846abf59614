// Issue 3's figures for the ServiceNow sandbox: start-up time (spawn -> LISTENING line) and
// 1000 sequential Table API GETs over one keep-alive connection, from node.
import { spawn } from 'node:child_process';
import http from 'node:http';
import https from 'node:https';
import { DEMO_CLIENT, INTEGRATION_USER } from '../harness.mjs';

/** Spawns the sandbox binary and resolves when it prints LISTENING. */
export function spawnSandbox(binary, args = []) {
  const started = process.hrtime.bigint();
  const proc = spawn(binary, ['--listen', '127.0.0.1:0', ...args, '--exit-on-stdin-close'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  proc.stderr.on('data', (d) => { stderr += d; });
  return new Promise((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => { proc.kill('SIGKILL'); reject(new Error(`sandbox did not start in 20 s: ${stderr}`)); }, 20_000);
    proc.stdout.on('data', (d) => {
      buf += d;
      const m = buf.match(/SANDBOX LISTENING (\S+)/);
      if (m) {
        clearTimeout(timer);
        const ms = Number(process.hrtime.bigint() - started) / 1e6;
        proc.stdout.resume();
        resolve({
          url: m[1], startupMs: ms, proc,
          async stop() {
            if (proc.exitCode !== null) return;
            const done = new Promise((r) => proc.once('exit', r));
            proc.stdin.end(); proc.kill('SIGTERM');
            await Promise.race([done, new Promise((r) => setTimeout(r, 3000))]);
            if (proc.exitCode === null) proc.kill('SIGKILL');
          },
        });
      }
    });
    proc.on('exit', (code) => { clearTimeout(timer); reject(new Error(`sandbox exited (${code}): ${stderr}`)); });
  });
}

function request(agent, url, { method = 'GET', headers = {}, body } = {}) {
  const u = new URL(url);
  const lib = u.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = lib.request(u, { method, headers, agent, rejectUnauthorized: false }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString('utf8'), reused: req.reusedSocket }));
    });
    req.on('error', reject);
    if (body) req.write(body);
    req.end();
  });
}

/** A password-grant access token for the integration user. */
export async function passwordToken(base, agent) {
  const form = new URLSearchParams({
    grant_type: 'password', client_id: DEMO_CLIENT.id, client_secret: DEMO_CLIENT.secret,
    username: INTEGRATION_USER.user, password: INTEGRATION_USER.password,
  }).toString();
  const res = await request(agent, `${base}/oauth_token.do`, {
    method: 'POST', body: form,
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(form) },
  });
  if (res.status !== 200) throw new Error(`password grant: ${res.status} ${res.body}`);
  return JSON.parse(res.body).access_token;
}

/**
 * n sequential GETs of one page of incidents (sysparm_limit=10) on one keep-alive socket.
 * Returns the wall time and how many requests reused the socket.
 */
export async function sequentialGets(base, n = 1000) {
  const lib = base.startsWith('https:') ? https : http;
  const agent = new lib.Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const token = await passwordToken(base, agent);
    const headers = { authorization: `Bearer ${token}`, accept: 'application/json' };
    const url = `${base}/api/now/table/incident?sysparm_limit=10`;
    // One warm-up request opens the connection (and the TLS session) outside the timing.
    await request(agent, url, { headers });
    let reused = 0;
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) {
      const res = await request(agent, url, { headers });
      if (res.status !== 200) throw new Error(`GET ${i}: ${res.status} ${res.body.slice(0, 200)}`);
      if (res.reused) reused += 1;
    }
    return { ms: Number(process.hrtime.bigint() - t0) / 1e6, reused };
  } finally {
    agent.destroy();
  }
}
