// A room member on Element's own crypto stack: matrix-js-sdk with the Rust
// crypto (matrix-sdk-crypto-wasm), bootstrapped at first login the way
// Element does it (cross-signing keys made and published, this device signed).
//
// Driven by tests/integration/element_member.py: one JSON request per line
// on stdin ({"id", "op", ...}), one JSON answer per line on stdout
// ({"id", "ok", "result" | "error"}). Options come from the environment:
//   HOMESERVER, USER_ID, PASSWORD          the account
//   ISOLATION=all|signed                   Element's "exclude insecure devices" off / on
//   ONLY_VERIFIED=1                        "never send to unverified sessions"
//   DROP_DEPRECATED=1                      send Megolm events without sender_key/device_id
import readline from "node:readline";
import { createHash, webcrypto } from "node:crypto";

import * as sdk from "matrix-js-sdk";
import {
  AllDevicesIsolationMode,
  OnlySignedDevicesIsolationMode,
} from "matrix-js-sdk/lib/crypto-api/index.js";
import { logger } from "matrix-js-sdk/lib/logger.js";

logger.setLevel("error");
// stdout carries the protocol only: the SDK's own console output goes to stderr.
for (const level of ["log", "info", "debug", "warn", "trace"]) {
  console[level] = (...parts) => process.stderr.write(parts.map(String).join(" ") + "\n");
}
const env = process.env;
const baseUrl = env.HOMESERVER;
const userId = env.USER_ID;
const password = env.PASSWORD;
const sentWire = new Map(); // event id -> the content as it went over the wire

/** Strip the deprecated Megolm fields on the wire, as newer clients do. */
async function fetchFn(url, init = {}) {
  if (env.DROP_DEPRECATED === "1" && init.method === "PUT" && String(url).includes("/send/m.room.encrypted/")) {
    const content = JSON.parse(init.body);
    delete content.sender_key;
    delete content.device_id;
    init = { ...init, body: JSON.stringify(content) };
  }
  const response = await fetch(url, init);
  if (init.method === "PUT" && String(url).includes("/send/")) {
    const copy = response.clone();
    copy.json().then((body) => body.event_id && sentWire.set(body.event_id, JSON.parse(init.body))).catch(() => {});
  }
  return response;
}

async function bootstrap(crypto) {
  await crypto.bootstrapCrossSigning({
    setupNewCrossSigning: true,
    authUploadDeviceSigningKeys: async (makeRequest) => {
      try {
        await makeRequest(null);
      } catch (error) {
        const session = error?.data?.session;
        if (!session) throw error;
        await makeRequest({
          type: "m.login.password",
          identifier: { type: "m.id.user", user: userId },
          password,
          session,
        });
      }
    },
  });
}

async function login() {
  const anonymous = sdk.createClient({ baseUrl, fetchFn });
  const session = await anonymous.loginRequest({
    type: "m.login.password",
    identifier: { type: "m.id.user", user: userId },
    password,
    initial_device_display_name: "Element (test)",
  });
  const client = sdk.createClient({
    baseUrl,
    userId: session.user_id,
    deviceId: session.device_id,
    accessToken: session.access_token,
    fetchFn,
  });
  await client.initRustCrypto({ useIndexedDB: false });
  const crypto = client.getCrypto();
  await bootstrap(crypto);
  crypto.setDeviceIsolationMode(
    env.ISOLATION === "signed" ? new OnlySignedDevicesIsolationMode() : new AllDevicesIsolationMode(false),
  );
  crypto.globalBlacklistUnverifiedDevices = env.ONLY_VERIFIED === "1";
  await new Promise((resolve) => {
    client.on(sdk.ClientEvent.Sync, (state) => state === "PREPARED" && resolve());
    client.startClient({ initialSyncLimit: 50 });
  });
  return client;
}

const client = await login();
const crypto = client.getCrypto();

function roomEvents(roomId) {
  const room = client.getRoom(roomId);
  return room ? room.getLiveTimeline().getEvents() : [];
}

async function describe(event) {
  if (event.isBeingDecrypted() || event.shouldAttemptDecryption()) {
    await client.decryptEventIfNeeded(event);
  }
  const failed = event.isDecryptionFailure();
  const info = event.isEncrypted() && !failed ? await crypto.getEncryptionInfoForEvent(event) : null;
  const content = event.getContent();
  return {
    event_id: event.getId(),
    sender: event.getSender(),
    type: event.getType(),
    encrypted: event.isEncrypted(),
    decrypted: event.isEncrypted() && !failed,
    failure: failed ? String(event.decryptionFailureReason) : null,
    shield_colour: info ? info.shieldColour : null,
    shield_reason: info ? info.shieldReason : null,
    body: content.body ?? null,
    msgtype: content.msgtype ?? null,
    file: content.file ?? null,
    reply_to: content["m.relates_to"]?.["m.in_reply_to"]?.event_id ?? null,
  };
}

/** Wait until an event matching `match` is in the room (decrypted where it can be). */
async function waitFor(roomId, match, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    for (const event of roomEvents(roomId)) {
      const described = await describe(event);
      if (match(described)) return described;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`timed out after ${timeoutMs} ms`);
}

async function download(file) {
  const [server, mediaId] = file.url.replace("mxc://", "").split("/");
  const response = await fetch(`${baseUrl}/_matrix/client/v1/media/download/${server}/${mediaId}`, {
    headers: { Authorization: `Bearer ${client.getAccessToken()}` },
  });
  const ciphertext = new Uint8Array(await response.arrayBuffer());
  const hash = createHash("sha256").update(ciphertext).digest("base64").replace(/=+$/, "");
  if (hash !== file.hashes.sha256) throw new Error("the file's hash does not match");
  const key = await webcrypto.subtle.importKey("jwk", file.key, { name: "AES-CTR" }, false, ["decrypt"]);
  const iv = Buffer.from(file.iv, "base64");
  const plain = await webcrypto.subtle.decrypt({ name: "AES-CTR", counter: iv, length: 64 }, key, ciphertext);
  return Buffer.from(plain).toString("utf8");
}

const operations = {
  whoami: async () => ({ user_id: client.getUserId(), device_id: client.getDeviceId() }),
  join: async ({ room }) => {
    await client.joinRoom(room);
    return {};
  },
  send: async ({ room, body }) => {
    const { event_id } = await client.sendTextMessage(room, body);
    return { event_id, wire: sentWire.get(event_id) ?? null };
  },
  reply_to: async ({ room, event_id, msgtype, timeout_ms }) =>
    waitFor(room, (e) => e.reply_to === event_id && (!msgtype || e.msgtype === msgtype), timeout_ms ?? 20000),
  event: async ({ room, event_id, timeout_ms }) =>
    waitFor(room, (e) => e.event_id === event_id, timeout_ms ?? 20000),
  messages_from: async ({ room, sender }) => {
    const found = [];
    for (const event of roomEvents(room)) {
      if (event.getSender() === sender) found.push(await describe(event));
    }
    return found;
  },
  download: async ({ file }) => ({ text: await download(file) }),
  bot_devices: async ({ user }) => {
    const devices = await crypto.getUserDeviceInfo([user], true);
    const result = [];
    for (const device of devices.get(user)?.values() ?? []) {
      const status = await crypto.getDeviceVerificationStatus(user, device.deviceId);
      result.push({ device_id: device.deviceId, cross_signed: Boolean(status?.signedByOwner) });
    }
    return result;
  },
  reset_identity: async () => {
    await bootstrap(crypto);
    return {};
  },
  identity_status: async ({ user }) => {
    const status = await crypto.getUserVerificationStatus(user);
    return { needs_user_approval: status.needsUserApproval, verified: status.isVerified() };
  },
  stop: async () => {
    client.stopClient();
    setTimeout(() => process.exit(0), 50);
    return {};
  },
};

const lines = readline.createInterface({ input: process.stdin });
process.stdout.write(JSON.stringify({ id: 0, ok: true, result: { ready: true } }) + "\n");
for await (const line of lines) {
  if (!line.trim()) continue;
  const request = JSON.parse(line);
  let answer;
  try {
    answer = { id: request.id, ok: true, result: await operations[request.op](request) };
  } catch (error) {
    answer = { id: request.id, ok: false, error: String(error?.stack ?? error) };
  }
  process.stdout.write(JSON.stringify(answer) + "\n");
}
