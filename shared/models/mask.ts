// Objection model for Chat Nio's `mask` table.
import { Model } from 'objection';

export class Mask extends Model {
  static tableName = 'mask';
  id!: number;
  user_id!: number;
  avatar!: string;
  name!: string;
  description!: string | null;
  context!: string;
}
