// Drives a lavalink_py node with Shoukaku, the npm client, on behalf of tests/clients/test_shoukaku.py.
//
// Protocol: one JSON object per line. stdin carries commands {id, cmd, ...args}; stdout carries replies
// {id, ok: true, result} or {id, ok: false, error}, and every Shoukaku event as {event, data}.
// No Discord library runs here: FakeGateway is the connector Shoukaku needs, and it answers the bot's voice state
// update (op 4) with the two gateway dispatches Discord would send, built from the fake voice server's details.
import { createInterface } from 'node:readline';
import { Connector, Shoukaku } from 'shoukaku';

const write = (message) => process.stdout.write(`${JSON.stringify(message)}\n`);

class FakeGateway extends Connector {
    constructor(userId, voice) {
        super(null);
        this.userId = userId;
        this.voice = voice; // {endpoint, token, sessionId}, set by the "join" command
    }

    getId() {
        return this.userId;
    }

    listen(nodes) {
        // discord.js calls ready() on its ready event; there is no gateway here, so it is ready now.
        setImmediate(() => this.ready(nodes));
    }

    sendPacket(_shardId, payload) {
        write({ event: 'gateway', data: payload });
        if (payload.op !== 4) return;
        const { guild_id: guildId, channel_id: channelId, self_deaf: selfDeaf, self_mute: selfMute } = payload.d;
        const sessionId = channelId ? this.voice.sessionId : null;
        // Discord sends VOICE_STATE_UPDATE first, then VOICE_SERVER_UPDATE (only when joining).
        setImmediate(() => {
            this.raw({
                t: 'VOICE_STATE_UPDATE',
                d: {
                    guild_id: guildId, channel_id: channelId, user_id: this.userId, session_id: sessionId,
                    self_deaf: selfDeaf, self_mute: selfMute,
                },
            });
            if (channelId) {
                this.raw({
                    t: 'VOICE_SERVER_UPDATE',
                    d: { guild_id: guildId, token: this.voice.token, endpoint: this.voice.endpoint },
                });
            }
        });
    }
}

let shoukaku = null;
let gateway = null;
const players = new Map();

const playerEvents = ['start', 'end', 'exception', 'stuck', 'closed', 'resumed'];

const commands = {
    async connect({ url, password, userId, options }) {
        gateway = new FakeGateway(userId, null);
        shoukaku = new Shoukaku(gateway, [{ name: 'lavalink_py', url, auth: password }], {
            reconnectTries: 1, restTimeout: 30, ...options,
        });
        shoukaku.on('ready', (name, resumed) => write({ event: 'ready', data: { name, resumed } }));
        shoukaku.on('error', (name, error) => write({ event: 'error', data: { name, error: String(error) } }));
        shoukaku.on('close', (name, code, reason) => write({ event: 'close', data: { name, code, reason } }));
        return await new Promise((resolve) => {
            shoukaku.once('ready', (name, resumed) => resolve({ name, resumed }));
        });
    },
    async sessionId() {
        return shoukaku.nodes.get('lavalink_py').sessionId;
    },
    async join({ guildId, channelId, voice }) {
        gateway.voice = voice;
        const player = await shoukaku.joinVoiceChannel({ guildId, channelId, shardId: 0 });
        for (const name of playerEvents) {
            player.on(name, (data) => write({ event: name, data }));
        }
        player.on('update', (data) => write({ event: 'update', data }));
        players.set(guildId, player);
        return { guildId: player.guildId };
    },
    async load({ identifier }) {
        return await shoukaku.nodes.get('lavalink_py').rest.resolve(identifier);
    },
    async decode({ encoded }) {
        return await shoukaku.nodes.get('lavalink_py').rest.decode(encoded);
    },
    async play({ guildId, encoded }) {
        await players.get(guildId).playTrack({ track: { encoded } });
        return null;
    },
    async pause({ guildId, paused }) {
        await players.get(guildId).setPaused(paused);
        return null;
    },
    async volume({ guildId, volume }) {
        await players.get(guildId).setGlobalVolume(volume);
        return null;
    },
    async seek({ guildId, position }) {
        await players.get(guildId).seekTo(position);
        return null;
    },
    async timescale({ guildId, timescale }) {
        await players.get(guildId).setTimescale(timescale);
        return null;
    },
    async clearFilters({ guildId }) {
        await players.get(guildId).clearFilters();
        return null;
    },
    async state({ guildId }) {
        const player = players.get(guildId);
        const remote = await player.node.rest.getPlayer(guildId);
        return { local: { paused: player.paused, volume: player.volume, filters: player.filters }, remote };
    },
    async statsUptime() {
        return shoukaku.nodes.get('lavalink_py').stats?.uptime ?? null;
    },
    async players() {
        return await shoukaku.nodes.get('lavalink_py').rest.getPlayers();
    },
    async leave({ guildId }) {
        await shoukaku.leaveVoiceChannel(guildId);
        players.delete(guildId);
        return null;
    },
    async exit() {
        for (const name of [...shoukaku.nodes.keys()]) shoukaku.removeNode(name, 'test over');
        setImmediate(() => process.exit(0));
        return null;
    },
};

const lines = createInterface({ input: process.stdin });
lines.on('line', async (line) => {
    const { id, cmd, ...args } = JSON.parse(line);
    try {
        write({ id, ok: true, result: await commands[cmd](args) ?? null });
    } catch (error) {
        write({ id, ok: false, error: String(error?.stack ?? error) });
    }
});
lines.on('close', () => process.exit(0));
