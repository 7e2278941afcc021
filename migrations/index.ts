// The ordered list of migrations, loaded explicitly (no directory scan), so the same
// list runs under tsx, in Docker and in tests. Append new files; never edit landed ones.
import type { Knex } from 'knex';
import * as m0 from './20261126000100_create_auth.js';
import * as m1 from './20261126000200_create_quota.js';
import * as m2 from './20261126000300_create_subscription.js';
import * as m3 from './20261126000400_create_apikey.js';
import * as m4 from './20261126000500_create_conversation.js';
import * as m5 from './20261126000600_create_sharing.js';
import * as m6 from './20261126000700_create_mask.js';
import * as m7 from './20261126000800_create_invitation.js';
import * as m8 from './20261126000900_create_redeem.js';
import * as m9 from './20261126001000_create_broadcast.js';
import * as m10 from './20261126001100_create_channel.js';
import * as m11 from './20261126001200_create_setting.js';
import * as m12 from './20261126001300_create_charge.js';
import * as m13 from './20261126001400_create_plan.js';
import * as m14 from './20261126001500_create_plan_usage.js';
import * as m15 from './20261126001600_create_quota_hold.js';
import * as m16 from './20261126001700_create_usage_record.js';
import * as m17 from './20261126001800_create_usage_daily.js';
import * as m18 from './20261127000100_add_auth_created_at.js';
import * as m19 from './20261127000200_create_user_limit.js';
import * as m20 from './20261127001000_add_subscription_started_at.js';

export const migrations: [string, Knex.Migration][] = [
  ['20261126000100_create_auth', m0],
  ['20261126000200_create_quota', m1],
  ['20261126000300_create_subscription', m2],
  ['20261126000400_create_apikey', m3],
  ['20261126000500_create_conversation', m4],
  ['20261126000600_create_sharing', m5],
  ['20261126000700_create_mask', m6],
  ['20261126000800_create_invitation', m7],
  ['20261126000900_create_redeem', m8],
  ['20261126001000_create_broadcast', m9],
  ['20261126001100_create_channel', m10],
  ['20261126001200_create_setting', m11],
  ['20261126001300_create_charge', m12],
  ['20261126001400_create_plan', m13],
  ['20261126001500_create_plan_usage', m14],
  ['20261126001600_create_quota_hold', m15],
  ['20261126001700_create_usage_record', m16],
  ['20261126001800_create_usage_daily', m17],
  ['20261127000100_add_auth_created_at', m18],
  ['20261127000200_create_user_limit', m19],
  ['20261127001000_add_subscription_started_at', m20],
];
