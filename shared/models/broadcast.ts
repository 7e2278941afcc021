// Objection model for Chat Nio's `broadcast` table.
import { Model } from 'objection';

export class Broadcast extends Model {
  static tableName = 'broadcast';
  id!: number;
  poster_id!: number;
  content!: string;
}
