// Objection model for Chat Nio's `sharing` table.
import { Model } from 'objection';

export class Sharing extends Model {
  static tableName = 'sharing';
  id!: number;
  hash!: string;
  user_id!: number;
  conversation_id!: number;
  refs!: string;
}
