// Objection model for Chat Nio's `auth` table.
import { Model } from 'objection';

export class User extends Model {
  static tableName = 'auth';
  id!: number;
  bind_id!: number | null;
  username!: string;
  token!: string;
  email!: string | null;
  password!: string;
  is_admin!: boolean;
  is_banned!: boolean;

  static jsonSchema = {
    type: 'object',
    required: ['username', 'password', 'token'],
    properties: {
      id: { type: 'integer' },
      username: { type: 'string', minLength: 1, maxLength: 24 },
      email: { type: ['string', 'null'], maxLength: 255 },
      password: { type: 'string', maxLength: 255 },
      token: { type: 'string', maxLength: 255 },
      is_admin: { type: 'boolean' },
      is_banned: { type: 'boolean' },
    },
  };

  static relationMappings = () => ({});
}
