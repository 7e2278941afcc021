// Objection model for Chat Nio's `quota` table (balances as decimal strings).
import { Model } from 'objection';

export class Quota extends Model {
  static tableName = 'quota';
  id!: number;
  user_id!: number;
  quota!: string;
  used!: string;

  static jsonSchema = {
    type: 'object',
    required: ['user_id'],
    properties: { id: { type: 'integer' }, user_id: { type: 'integer' } },
  };
}
