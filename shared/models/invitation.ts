// Objection model for Chat Nio's `invitation` table.
import { Model } from 'objection';

export class Invitation extends Model {
  static tableName = 'invitation';
  id!: number;
  code!: string;
  quota!: string;
  type!: string;
  used!: boolean;
  used_id!: number | null;
}
