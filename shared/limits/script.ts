// Runs a Lua script through ioredis defineCommand: EVALSHA with the SHA cached, EVAL once
// when Redis does not know the script yet (after a restart or on a new server).
import type { Redis } from 'ioredis';

export type ScriptReply = number[];

export type Script = (redis: Redis, keys: string[], args: (string | number)[]) => Promise<ScriptReply>;

type Runner = (numberOfKeys: number, ...rest: (string | number)[]) => Promise<unknown>;

export function defineScript(name: string, lua: string): Script {
  const command = `chatnioLimit_${name}`;
  const defined = new WeakSet<Redis>();
  return async (redis, keys, args) => {
    if (!defined.has(redis)) {
      redis.defineCommand(command, { lua });
      defined.add(redis);
    }
    const run = (redis as unknown as Record<string, Runner>)[command].bind(redis);
    const reply = await run(keys.length, ...keys, ...args);
    return (Array.isArray(reply) ? reply : [reply]).map(Number);
  };
}
