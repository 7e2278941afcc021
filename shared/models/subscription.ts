// Objection model for Chat Nio's `subscription` table.
import { Model } from 'objection';

export class Subscription extends Model {
  static tableName = 'subscription';
  id!: number;
  user_id!: number;
  level!: number;
  expired_at!: Date | null;
  total_month!: number;
  enterprise!: boolean;
}
