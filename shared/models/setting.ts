// Objection model for this project's `setting` key/value table.
import { Model } from 'objection';

export class Setting extends Model {
  static tableName = 'setting';
  static idColumn = 'key';
  key!: string;
  value!: string;

  static jsonSchema = {
    type: 'object',
    required: ['key', 'value'],
    properties: { key: { type: 'string', maxLength: 128 }, value: { type: 'string' } },
  };
}
