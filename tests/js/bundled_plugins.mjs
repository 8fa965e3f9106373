// lavalink-client (npm) driving the bundled plugins through its own API: LavaSearch (node.lavaSearch), lyrics
// (node.lyrics.get / getCurrent / subscribe / unsubscribe) and SponsorBlock (player.setSponsorBlock / getSponsorBlock / deleteSponsorBlock).
// Usage: node bundled_plugins.mjs <node url> <password> <user id> <guild id> <encoded track>; prints one JSON object.
import { LavalinkManager } from "lavalink-client";

const [url, password, userId, guildId, encoded] = process.argv.slice(2);
const where = new URL(url);
const manager = new LavalinkManager({
  nodes: [{
    host: where.hostname, port: Number(where.port), authorization: password, id: "lavalink_py",
    // Its plugin checks on: lavaSearch wants lavasearch-plugin and lavasrc-plugin in /v4/info, lyrics
    // lavalyrics-plugin and lavasrc-plugin, SponsorBlock sponsorblock-plugin; a missing name throws.
    autoChecks: { pluginValidations: true, sourcesValidations: true },
  }],
  sendToShard: () => {},
  client: { id: userId, username: "tests" },
});

const attempt = async (call) => {
  try {
    return { ok: await call() };
  } catch (error) {
    return { error: String(error?.message ?? error) };
  }
};

const connected = new Promise((resolve) => manager.nodeManager.once("connect", resolve));
await manager.init({ id: userId, username: "tests" });
const node = await connected;
const info = await node.fetchInfo();
const out = { plugins: info.plugins.map((p) => p.name), sessionId: node.sessionId };

out.search = await attempt(() => node.lavaSearch({ query: "tones", source: "ytsearch", types: ["track", "album"] },
  { id: "requester" }));
out.lyrics = await attempt(() => node.lyrics.get({ encoded }, false));

const player = manager.createPlayer({ guildId, voiceChannelId: "1", textChannelId: "2" });
// The player's track, set on the node as a paused one (no voice needed), for getCurrent.
await node.request(`/sessions/${node.sessionId}/players/${guildId}`, (r) => {
  r.method = "PATCH";
  r.headers = { Authorization: password, "Content-Type": "application/json" };
  r.body = JSON.stringify({ track: { encoded }, paused: true });
});
out.currentLyrics = await attempt(() => node.lyrics.getCurrent(guildId, true));
out.subscribe = await attempt(async () => (await node.lyrics.subscribe(guildId, true)) ?? null);
out.unsubscribe = await attempt(async () => (await node.lyrics.unsubscribe(guildId)) ?? null);

out.setSponsorBlock = await attempt(async () => (await player.setSponsorBlock(["sponsor", "selfpromo"])) ?? null);
out.getSponsorBlock = await attempt(() => player.getSponsorBlock());
out.deleteSponsorBlock = await attempt(async () => (await player.deleteSponsorBlock()) ?? null);
out.getAfterDelete = await attempt(() => player.getSponsorBlock());

process.stdout.write(JSON.stringify(out) + "\n");
process.exit(0);
