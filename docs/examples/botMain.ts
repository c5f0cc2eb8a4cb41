// main.ts: runs the bot with the app's credentials (client credentials flow, no SDK needed).
import { startBot } from './bot.js';

const tenantId = required('TENANT_ID');
const appId = required('BOT_APP_ID');
const appSecret = required('BOT_APP_SECRET');

let cached: { readonly token: string; readonly expiresAt: number } | undefined;

// The registry asks before every Graph request; it never stores the token itself.
async function getToken(): Promise<string> {
  if (cached !== undefined && cached.expiresAt > Date.now() + 60_000) return cached.token;
  const response = await fetch(`https://login.microsoftonline.com/${tenantId}/oauth2/v2.0/token`, {
    method: 'POST',
    body: new URLSearchParams({
      client_id: appId,
      client_secret: appSecret,
      scope: 'https://graph.microsoft.com/.default',
      grant_type: 'client_credentials',
    }),
    signal: AbortSignal.timeout(10_000),
  });
  if (!response.ok) throw new Error(`token request failed with ${response.status}`);
  const body = (await response.json()) as { access_token: string; expires_in: number };
  cached = { token: body.access_token, expiresAt: Date.now() + body.expires_in * 1000 };
  return cached.token;
}

function required(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') throw new Error(`set ${name} in the environment`);
  return value;
}

const bot = await startBot({ appId, graph: { getToken }, port: Number(process.env.PORT ?? 3978) });
console.log(`webhook listening: ${bot.webhookUrl}`);
process.once('SIGTERM', () => void bot.close());
