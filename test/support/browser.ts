import { request } from 'node:http';

/** node:http rather than fetch: fetch forbids setting the Host header, which tenant tests need. */
function send(url: URL, method: string, headers: Record<string, string>, body?: string | Buffer): Promise<{ status: number; body: string; location?: string; setCookies: string[] }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers: { ...headers, ...(body !== undefined ? { 'content-length': String(Buffer.byteLength(body)) } : {}) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), location: res.headers.location, setCookies: res.headers['set-cookie'] ?? [] }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** A file as a browser's file input sends it. */
export interface UploadFile {
  /** The control's name. */
  name: string;
  filename: string;
  type?: string;
  content: Buffer;
}

/**
 * A browser without JavaScript: keeps cookies, follows redirects by hand (so tests can see them),
 * and submits forms the way a plain HTML form does (urlencoded, including the CSRF field).
 */
export class Browser {
  private readonly cookies = new Map<string, string>();
  lastHtml = '';
  lastStatus = 0;
  lastUrl = '';
  /** The Set-Cookie lines of the last response, as sent (attributes included). */
  lastSetCookies: string[] = [];
  /** Sent with every request (e.g. what a proxy in front would add, or a hostile client's own headers). */
  extraHeaders: Record<string, string> = {};

  constructor(private readonly origin: string, private readonly host?: string) {}

  async get(path: string): Promise<{ status: number; html: string; location?: string }> {
    return this.request('GET', path);
  }

  /** Posts the first form on the last page whose action ends with `actionSuffix`, with `fields`. */
  async submit(fields: Record<string, string>, actionSuffix?: string): Promise<{ status: number; html: string; location?: string }> {
    const forms = [...this.lastHtml.matchAll(/<form method="post" action="([^"]+)"[^>]*>([\s\S]*?)<\/form>/g)];
    const form = forms.find((f) => !actionSuffix || (f[1] ?? '').split('?')[0]?.endsWith(actionSuffix));
    if (!form) throw new Error(`no form${actionSuffix ? ` with action …${actionSuffix}` : ''} on ${this.lastUrl}`);
    const csrf = /name="_csrf" value="([^"]*)"/.exec(form[2] ?? '')?.[1] ?? '';
    const action = (form[1] ?? '').replace(/&#x3D;/g, '=').replace(/&amp;/g, '&');
    return this.request('POST', action, new URLSearchParams({ _csrf: csrf, ...fields }).toString());
  }

  /**
   * Presses a submit button that has its own target (`formaction`, e.g. "remove this row") on the
   * last page: posts its form's CSRF token to the button's formaction, as a browser does.
   */
  async press(formactionSuffix: string): Promise<{ status: number; html: string; location?: string }> {
    const forms = [...this.lastHtml.matchAll(/<form method="post" action="[^"]+"[^>]*>([\s\S]*?)<\/form>/g)];
    for (const form of forms) {
      const target = [...(form[1] ?? '').matchAll(/formaction="([^"]+)"/g)].map((m) => (m[1] ?? '').replace(/&#x3D;/g, '=').replace(/&amp;/g, '&')).find((a) => (a.split('?')[0] ?? '').endsWith(formactionSuffix));
      if (!target) continue;
      const csrf = /name="_csrf" value="([^"]*)"/.exec(form[1] ?? '')?.[1] ?? '';
      return this.request('POST', target, new URLSearchParams({ _csrf: csrf }).toString());
    }
    throw new Error(`no button with formaction …${formactionSuffix} on ${this.lastUrl}`);
  }

  /** Posts the form with id `formId` on the last page (its CSRF token and hidden fields) with `fields`, as a button that belongs to it does. */
  async postForm(formId: string, fields: Record<string, string>): Promise<{ status: number; html: string; location?: string }> {
    const form = new RegExp(`<form id="${formId}" method="post" action="([^"]+)"[^>]*>([\\s\\S]*?)<\\/form>`).exec(this.lastHtml);
    if (!form) throw new Error(`no form #${formId} on ${this.lastUrl}`);
    const hidden = Object.fromEntries([...(form[2] ?? '').matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map((m) => [m[1] as string, m[2] as string]));
    const action = (form[1] ?? '').replace(/&#x3D;/g, '=').replace(/&amp;/g, '&');
    return this.request('POST', action, new URLSearchParams({ ...hidden, ...fields }).toString());
  }

  /** Follows redirects until a page arrives. */
  /**
   * Posts the first form on the last page whose action ends with `actionSuffix` as a browser sends
   * a form with enctype multipart/form-data: parts in document order (the CSRF field first), then
   * `fields`, then the files.
   */
  async submitMultipart(fields: Record<string, string | string[]>, files: UploadFile[], actionSuffix?: string): Promise<{ status: number; html: string; location?: string }> {
    const forms = [...this.lastHtml.matchAll(/<form method="post" action="([^"]+)"([^>]*)>([\s\S]*?)<\/form>/g)];
    const form = forms.find((f) => !actionSuffix || (f[1] ?? '').split('?')[0]?.endsWith(actionSuffix));
    if (!form) throw new Error(`no form${actionSuffix ? ` with action …${actionSuffix}` : ''} on ${this.lastUrl}`);
    if (!/enctype="multipart\/form-data"/.test(form[2] ?? '')) throw new Error(`the form on ${this.lastUrl} is not multipart`);
    const csrf = /name="_csrf" value="([^"]*)"/.exec(form[3] ?? '')?.[1] ?? '';
    const action = (form[1] ?? '').replace(/&#x3D;/g, '=').replace(/&amp;/g, '&');
    const boundary = `----efa${Math.random().toString(16).slice(2)}`;
    const parts: Buffer[] = [];
    const field = (name: string, value: string) => parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`));
    field('_csrf', csrf);
    for (const [name, value] of Object.entries(fields)) for (const v of Array.isArray(value) ? value : [value]) field(name, v);
    for (const f of files) {
      parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${f.name}"; filename="${f.filename}"\r\nContent-Type: ${f.type ?? 'application/octet-stream'}\r\n\r\n`), f.content, Buffer.from('\r\n'));
    }
    parts.push(Buffer.from(`--${boundary}--\r\n`));
    return this.request('POST', action, Buffer.concat(parts), `multipart/form-data; boundary=${boundary}`);
  }

  async follow(res: { status: number; html: string; location?: string }): Promise<{ status: number; html: string }> {
    let current = res;
    for (let i = 0; i < 5 && current.location; i++) current = await this.get(current.location);
    return current;
  }

  async post(path: string, body: string): Promise<{ status: number; html: string; location?: string }> {
    return this.request('POST', path, body);
  }

  private async request(method: string, path: string, body?: string | Buffer, type = 'application/x-www-form-urlencoded') {
    const headers: Record<string, string> = { ...this.extraHeaders, cookie: [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ') };
    if (this.host) headers.host = this.host;
    if (body !== undefined) headers['content-type'] = type;
    const res = await send(new URL(path, this.origin), method, headers, body);
    this.lastSetCookies = res.setCookies;
    for (const line of res.setCookies) {
      const [pair] = line.split(';');
      const [name, ...rest] = (pair ?? '').split('=');
      if (!name) continue;
      const value = rest.join('=');
      if (value === '' || /max-age=0|expires=thu, 01 jan 1970/i.test(line)) this.cookies.delete(name.trim());
      else this.cookies.set(name.trim(), value);
    }
    const html = res.body;
    this.lastStatus = res.status;
    if (res.status < 300 || res.status >= 400) {
      this.lastHtml = html;
      this.lastUrl = path;
    }
    return { status: res.status, html, location: res.location };
  }

  cookie(name: string): string | undefined {
    return this.cookies.get(name);
  }

  setCookie(name: string, value: string): void {
    this.cookies.set(name, value);
  }

  /** The Cookie header this browser sends (for a request a test writes by hand). */
  cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  /** A second tab of this browser (same cookies, same page), or the same browser talking to `origin`. */
  tab(origin = this.origin): Browser {
    const other = new Browser(origin, this.host);
    for (const [k, v] of this.cookies) other.cookies.set(k, v);
    Object.assign(other, { lastHtml: this.lastHtml, lastStatus: this.lastStatus, lastUrl: this.lastUrl });
    return other;
  }
}
