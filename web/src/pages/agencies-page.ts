import { html, nothing, type TemplateResult } from 'lit';
import { ConsoleElement } from '../components/base';
import { announce } from '../announcer';
import { describeError } from '../api/errors';
import type { Agency, Items, Jurisdiction } from '../api/types';
import { getLocale, t, tMaybe } from '../i18n';
import { compareText } from '../i18n/format';
import { buildAgencyTree, type AgencyNode } from '../agency-tree';
import { session } from '../session';

/** Agency kinds known to the server (`cityos_identity::accounts::AGENCY_KINDS`). */
const AGENCY_KINDS = ['city', 'department', 'ward_committee', 'utility', 'service'];

/** Agencies: the hierarchy as a tree, and a form to add one. */
export class AgenciesPage extends ConsoleElement {
  static override properties = {
    agencies: { state: true },
    jurisdictions: { state: true },
    loading: { state: true },
    listError: { state: true },
    createError: { state: true },
    createBusy: { state: true },
  };

  agencies: Agency[] = [];
  jurisdictions: Jurisdiction[] = [];
  loading = true;
  listError = '';
  createError = '';
  createBusy = false;

  override connectedCallback(): void {
    super.connectedCallback();
    void this.load();
    void session.api
      .get<Items<Jurisdiction>>('/api/jurisdictions')
      .then((response) => (this.jurisdictions = response.items))
      .catch(() => undefined);
  }

  private async load(): Promise<void> {
    this.loading = true;
    try {
      this.agencies = (await session.api.get<Items<Agency>>('/api/identity/agencies')).items;
      this.listError = '';
    } catch (error) {
      this.listError = describeError(error);
    } finally {
      this.loading = false;
    }
  }

  private name(agency: Agency): string {
    return getLocale() === 'vi' ? agency.name_vi : agency.name_en;
  }

  private jurisdictionName(code: string): string {
    return this.jurisdictions.find((j) => j.code === code)?.name ?? code;
  }

  private async onCreate(event: SubmitEvent): Promise<void> {
    event.preventDefault();
    const form = event.currentTarget as HTMLFormElement;
    const data = new FormData(form);
    const value = (key: string) => String(data.get(key) ?? '').trim();
    const body = {
      code: value('code'),
      name_vi: value('name_vi'),
      name_en: value('name_en'),
      kind: value('kind'),
      parent_code: value('parent_code') || null,
      jurisdiction_code: value('jurisdiction_code') || null,
    };
    if (!body.code || !body.name_vi || !body.name_en || !body.kind) {
      this.createError = t('error.validation');
      return;
    }
    this.createBusy = true;
    this.createError = '';
    try {
      const created = await session.api.post<Agency>('/api/identity/agencies', body);
      form.reset();
      announce(t('agencies.created', { name: this.name(created ?? (body as Agency)) }));
      await this.load();
    } catch (error) {
      this.createError = describeError(error);
    } finally {
      this.createBusy = false;
    }
  }

  private renderNode(node: AgencyNode): TemplateResult {
    const agency = node.agency;
    return html`<li data-agency=${agency.code}>
      <div class="agency-node">
        <span class="agency-name">${this.name(agency)}</span>
        <span class="agency-meta">
          ${t('agencies.codeLabel', { code: agency.code })} · ${tMaybe(`agencyKind.${agency.kind}`, agency.kind)}
          ${agency.jurisdiction_code
            ? html` · ${t('agencies.jurisdictionLabel', { name: this.jurisdictionName(agency.jurisdiction_code) })}`
            : nothing}
        </span>
      </div>
      ${node.children.length > 0 ? html`<ul class="agency-tree">${node.children.map((child) => this.renderNode(child))}</ul>` : nothing}
    </li>`;
  }

  private renderTree(): TemplateResult {
    const locale = getLocale();
    const { roots, orphans } = buildAgencyTree(this.agencies, (a) => this.name(a), locale);
    return html`<section class="card" aria-labelledby="agencies-tree-heading">
      <h2 id="agencies-tree-heading">${t('agencies.treeHeading')}</h2>
      <p class="hint">${t('agencies.treeHint')}</p>
      <div class="form-error" role="alert" aria-live="assertive">${this.listError}</div>
      ${this.loading ? html`<p role="status">${t('common.loading')}</p>` : nothing}
      ${!this.loading && this.agencies.length === 0 && !this.listError ? html`<p>${t('agencies.empty')}</p>` : nothing}
      <ul class="agency-tree agency-tree-root">
        ${roots.map((node) => this.renderNode(node))}
      </ul>
      ${orphans.length > 0
        ? html`<h3>${t('agencies.orphanHeading')}</h3>
            <ul class="agency-tree">
              ${orphans.map((node) => this.renderNode(node))}
            </ul>`
        : nothing}
    </section>`;
  }

  private renderCreate(): TemplateResult {
    const locale = getLocale();
    // The kinds the server accepts, plus any other kind already in the data.
    const kinds = [...new Set([...AGENCY_KINDS, ...this.agencies.map((a) => a.kind)])];
    const parents = [...this.agencies].sort((a, b) => compareText(this.name(a), this.name(b), locale));
    const units = [...this.jurisdictions].sort((a, b) => (a.parent_code === null ? -1 : b.parent_code === null ? 1 : compareText(a.name, b.name, locale)));
    return html`<section class="card" aria-labelledby="agencies-create-heading">
      <h2 id="agencies-create-heading">${t('agencies.createHeading')}</h2>
      <form class="form" novalidate @submit=${(e: SubmitEvent) => void this.onCreate(e)}>
        <div class="field">
          <label for="agency-code">${t('agencies.code')} <span class="required">${t('common.required')}</span></label>
          <input id="agency-code" name="code" type="text" required autocapitalize="none" spellcheck="false" aria-describedby="agency-code-hint" />
          <p class="hint" id="agency-code-hint">${t('agencies.codeHint')}</p>
        </div>
        <div class="field">
          <label for="agency-name-vi">${t('agencies.nameVi')} <span class="required">${t('common.required')}</span></label>
          <input id="agency-name-vi" name="name_vi" type="text" lang="vi" required />
        </div>
        <div class="field">
          <label for="agency-name-en">${t('agencies.nameEn')} <span class="required">${t('common.required')}</span></label>
          <input id="agency-name-en" name="name_en" type="text" lang="en" required />
        </div>
        <div class="field">
          <label for="agency-kind">${t('agencies.kind')} <span class="required">${t('common.required')}</span></label>
          <select id="agency-kind" name="kind" required>
            <option value="">${t('users.chooseOne')}</option>
            ${kinds.map((kind) => html`<option value=${kind}>${tMaybe(`agencyKind.${kind}`, kind)}</option>`)}
          </select>
        </div>
        <div class="field">
          <label for="agency-parent">${t('agencies.parent')} <span class="optional">${t('common.optional')}</span></label>
          <select id="agency-parent" name="parent_code">
            <option value="">${t('agencies.noParent')}</option>
            ${parents.map((a) => html`<option value=${a.code}>${this.name(a)} (${a.code})</option>`)}
          </select>
        </div>
        <div class="field">
          <label for="agency-jurisdiction">${t('agencies.jurisdiction')} <span class="optional">${t('common.optional')}</span></label>
          <select id="agency-jurisdiction" name="jurisdiction_code">
            <option value="">${t('agencies.noJurisdiction')}</option>
            ${units.map((j) => html`<option value=${j.code} lang="vi">${j.name} (${j.code})</option>`)}
          </select>
        </div>
        <div class="form-error" role="alert" aria-live="assertive">${this.createError}</div>
        <div class="form-actions">
          <button type="submit" class="button" ?disabled=${this.createBusy}>
            ${this.createBusy ? t('common.saving') : t('common.create')}
          </button>
        </div>
      </form>
    </section>`;
  }

  override render(): TemplateResult {
    return html`<div class="page page-wide">
      <h1 tabindex="-1">${t('agencies.title')}</h1>
      <div class="grid-2">${this.renderTree()} ${this.renderCreate()}</div>
    </div>`;
  }
}

customElements.define('cityos-agencies-page', AgenciesPage);
