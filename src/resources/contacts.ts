import { addContactsBody, type AddContactsResult, type Contact, type ContactDetail } from '../contract/contact.js';
import { ENDPOINTS } from '../contract/endpoints.js';
import type { ApiCore } from '../internal/core.js';
import { parseOrThrow } from '../internal/validate.js';
import { EnumNames } from '../contract/enums.js';
import { nameContact } from '../internal/names.js';

/** Contacts of a task: add (idempotent by outId), detail by outId (api/sobot-v5.md §3.3, §3.4). */
export class ContactsResource {
  constructor(private readonly core: ApiCore, private readonly enums: EnumNames = new EnumNames()) {}

  /**
   * Adds up to MAX_CONTACTS_PER_REQUEST contacts. Each is validated first (outId unique, phone
   * normalised); the request is retried on failure because the server deduplicates by outId, so a
   * repeated request adds nothing twice.
   */
  async add(taskId: string, contacts: Contact[], opts: { signal?: AbortSignal } = {}): Promise<AddContactsResult> {
    const valid = parseOrThrow(addContactsBody, { taskId, contactList: contacts }, 'contacts', { method: 'POST', path: ENDPOINTS.addContacts.path });
    const { content } = await this.core.call('addContacts', {
      pathParams: { taskId },
      body: { taskId, contactList: valid.contactList },
      retry: true,
      signal: opts.signal,
    });
    return content;
  }

  /** One contact's dial data and call attempts, by your outId. */
  async get(taskId: string, outId: string, opts: { signal?: AbortSignal } = {}): Promise<ContactDetail> {
    const { content } = await this.core.call('getContact', {
      pathParams: { taskId, outId },
      query: { companyId: this.core.companyId, taskId, outId },
      signal: opts.signal,
    });
    return nameContact(this.enums, content);
  }
}
