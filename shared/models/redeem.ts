// Objection model for Chat Nio's `redeem` table.
import { Model } from 'objection';

export class Redeem extends Model {
  static tableName = 'redeem';
  id!: number;
  code!: string;
  quota!: string;
  used!: boolean;
}
