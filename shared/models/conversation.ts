// Objection model for Chat Nio's `conversation` table.
import { Model } from 'objection';

export class Conversation extends Model {
  static tableName = 'conversation';
  id!: number;
  user_id!: number;
  conversation_id!: number;
  conversation_name!: string;
  data!: string;
  model!: string;
  task_id!: string | null;
}
