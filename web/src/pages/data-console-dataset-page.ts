import { html, nothing, type PropertyValues, type TemplateResult } from 'lit';
import { ConsoleElement } from '../components/base';
import { announce } from '../announcer';
import { ApiError } from '../api/client';
import { describeError } from '../api/errors';
import { loadOrganizations, loadVocabulary } from '../datahub/api';
import '../datahub/dataset-form';
import { canWrite, managedAgencies } from '../datahub/model';
import { DataNames, datasetNotes, datasetTitle, levelLabel } from '../datahub/names';
import '../datahub/resource-panel';
import '../datahub/sharing';
import type { AccessRequest, AccessRequestList, Dataset, Resource, ResourceFields, SharingStatus } from '../datahub/types';
import '../datahub/datahub.css';
import { getLocale, t, type MessageKey } from '../i18n';
import { formatDate } from '../i18n/format';
import { href, navigate } from '../router';
import { session } from '../session';

const ACCESS_KEYS: Record<SharingStatus['access'], MessageKey> = {
  owner: 'datahub.accessOwner',
  approval: 'datahub.accessApproval',
  public: 'datahub.accessPublic',
  none: 'datahub.accessNone',
};

const RESOURCE_FORMATS = ['CSV', 'JSON', 'GeoJSON', 'XLSX', 'API', 'PDF', 'HTML', 'ZIP'];

/**
 * One dataset in the data hub console (`#/datahub/datasets/{name}`), or a new
 * one (`#/datahub/new`): its metadata form for its writers (facts for other
 * readers), its resources (new versions with schema diff, versions, personal
 * fields), and sharing — requests for it and its access log for its owner,
 * the request form for other agencies.
 */
export class DataConsoleDatasetPage extends ConsoleElement {
  static override properties = {
    name: {},
    item: { state: true },
    notFound: { state: true },
    loadError: { state: true },
    names: { state: true },
    sharing: { state: true },
    sharingError: { state: true },
    incoming: { state: true },
    resourceError: { state: true },
    resourceBusy: { state: true },
  };

  name = '';
  item: Dataset | null = null;
  notFound = false;
  loadError = '';
  names = new DataNames();
  sharing: SharingStatus | null = null;
  sharingError = '';
  incoming: AccessRequest[] = [];
  resourceError = '';
  resourceBusy = false;

  override connectedCallback(): void {
    super.connectedCallback();
    void Promise.allSettled([loadVocabulary(), loadOrganizations()]).then(([vocabulary, organizations]) => {
      this.names = new DataNames(
        vocabulary.status === 'fulfilled' ? vocabulary.value : undefined,
        organizations.status === 'fulfilled' ? organizations.value : [],
      );
    });
  }

  protected override willUpdate(changed: PropertyValues): void {
    super.willUpdate(changed);
    if (changed.has('name')) {
      this.item = null;
      this.sharing = null;
      this.incoming = [];
      this.notFound = false;
      this.loadError = '';
      if (this.name) void this.load();
    }
  }

  private async load(): Promise<void> {
    const name = this.name;
    try {
      const d = await session.api.get<Dataset>(`/api/datahub/datasets/${encodeURIComponent(name)}`);
      if (name !== this.name) return;
      this.item = d;
      this.loadError = '';
      void this.loadSharing();
    } catch (error) {
      if (name !== this.name) return;
      if (error instanceof ApiError && error.status === 404) this.notFound = true;
      else this.loadError = describeError(error);
    }
  }

  private async loadSharing(): Promise<void> {
    const d = this.item;
    if (!d) return;
    try {
      const status = await session.api.get<SharingStatus>(`/api/datahub/datasets/${encodeURIComponent(d.name)}/sharing`);
      this.sharing = status;
      if (status.may_decide) {
        const list = await session.api.get<AccessRequestList>('/api/datahub/access-requests', {
          query: { side: 'incoming', dataset: d.name, per_page: 50 },
        });
        this.incoming = list.items;
      }
      this.sharingError = '';
    } catch (error) {
      this.sharingError = describeError(error);
    }
  }

  private async reloadDataset(): Promise<void> {
    const d = this.item;
    if (!d) return;
    try {
      this.item = await session.api.get<Dataset>(`/api/datahub/datasets/${encodeURIComponent(d.id)}`);
    } catch (error) {
      this.loadError = describeError(error);
    }
  }

  private onSaved(saved: Dataset): void {
    if (saved.name !== this.name) {
      navigate(`/datahub/datasets/${saved.name}`);
      return;
    }
    this.item = saved;
  }

  private async addResource(event: SubmitEvent): Promise<void> {
    event.preventDefault();
    const d = this.item;
    if (!d || this.resourceBusy) return;
    const form = event.currentTarget as HTMLFormElement;
    const data = new FormData(form);
    const text = (name: string) => String(data.get(name) ?? '').trim();
    const kind = text('kind') === 'url' ? 'url' : 'upload';
    if (!text('name')) {
      this.resourceError = t('datahub.resourceNeedsName');
      this.querySelector<HTMLElement>('#datahub-resource-name')?.focus();
      return;
    }
    const body: ResourceFields = { name: text('name'), description: text('description'), format: text('format'), kind, url: kind === 'url' ? text('url') : null };
    this.resourceBusy = true;
    try {
      await session.api.post<Resource>(`/api/datahub/datasets/${encodeURIComponent(d.id)}/resources`, body);
      this.resourceError = '';
      form.reset();
      announce(t('datahub.resourceAdded', { name: body.name }));
      await this.reloadDataset();
    } catch (error) {
      this.resourceError = describeError(error);
    } finally {
      this.resourceBusy = false;
    }
  }

  private renderFacts(d: Dataset): TemplateResult {
    const locale = getLocale();
    const none = t('common.none');
    const notes = datasetNotes(d, locale);
    return html`<dl class="facts">
      <dt>${t('datahub.owner')}</dt>
      <dd>${this.names.agency(d.owner_agency, locale)}</dd>
      <dt>${t('datahub.level')}</dt>
      <dd>${levelLabel(d.sharing_level)}</dd>
      <dt>${t('datahub.notesVi')}</dt>
      <dd lang=${notes.lang}>${notes.text || none}</dd>
      <dt>${t('datahub.licence')}</dt>
      <dd>${d.license_id ? this.names.licence(d.license_id, locale) : none}</dd>
      <dt>${t('datahub.frequency')}</dt>
      <dd>${d.update_frequency ? this.names.frequency(d.update_frequency, locale) : none}</dd>
      <dt>${t('datahub.contactName')}</dt>
      <dd>${d.contact_name || none}${d.contact_email ? html` — <a href="mailto:${d.contact_email}">${d.contact_email}</a>` : nothing}</dd>
      <dt>${t('datahub.legalBasisField')}</dt>
      <dd lang="vi">${d.legal_basis || none}</dd>
      <dt>${t('datahub.colModified')}</dt>
      <dd><time datetime=${d.modified_at}>${formatDate(d.modified_at, locale)}</time></dd>
    </dl>`;
  }

  private renderAddResource(): TemplateResult {
    return html`<form class="form card" novalidate aria-labelledby="datahub-add-resource" @submit=${(e: SubmitEvent) => void this.addResource(e)}>
      <h3 id="datahub-add-resource">${t('datahub.addResource')}</h3>
      <div class="datahub-form-grid">
        <div class="field">
          <label for="datahub-resource-name">${t('datahub.resourceName')} <span class="optional">${t('common.required')}</span></label>
          <input id="datahub-resource-name" name="name" type="text" required aria-required="true" />
        </div>
        <div class="field">
          <label for="datahub-resource-format">${t('datahub.resourceFormat')}</label>
          <select id="datahub-resource-format" name="format">
            ${RESOURCE_FORMATS.map((f) => html`<option value=${f}>${f}</option>`)}
          </select>
        </div>
      </div>
      <fieldset class="fieldset">
        <legend>${t('datahub.resourceKind')}</legend>
        <div class="radio-field">
          <input type="radio" id="datahub-resource-upload" name="kind" value="upload" checked />
          <label for="datahub-resource-upload">${t('datahub.kindUpload')}</label>
        </div>
        <div class="radio-field">
          <input type="radio" id="datahub-resource-url" name="kind" value="url" />
          <label for="datahub-resource-url">${t('datahub.kindUrl')}</label>
        </div>
      </fieldset>
      <div class="field">
        <label for="datahub-resource-link">${t('datahub.resourceUrl')}</label>
        <input id="datahub-resource-link" name="url" type="url" aria-describedby="datahub-resource-link-hint" />
        <p class="hint" id="datahub-resource-link-hint">${t('datahub.resourceUrlHint')}</p>
      </div>
      <div class="field">
        <label for="datahub-resource-description">${t('datahub.resourceDescription')}</label>
        <textarea id="datahub-resource-description" name="description" rows="2" lang="vi"></textarea>
      </div>
      <div class="form-error" role="alert" aria-live="assertive">${this.resourceError}</div>
      <div class="form-actions">
        <button type="submit" class="button" ?disabled=${this.resourceBusy}>${t('datahub.addResourceButton')}</button>
      </div>
    </form>`;
  }

  private renderSharing(d: Dataset): TemplateResult {
    const s = this.sharing;
    const locale = getLocale();
    return html`<section class="card" aria-labelledby="datahub-sharing-heading">
      <h2 id="datahub-sharing-heading">${t('datahub.sharingHeading')}</h2>
      <div class="form-error" role="alert">${this.sharingError}</div>
      ${s
        ? html`<p data-access=${s.access}>${t(ACCESS_KEYS[s.access])}</p>
            ${s.approval
              ? html`<p>${t('datahub.accessApprovalUntil', { date: formatDate(s.approval.expires_at, locale) })}</p>`
              : nothing}
            ${s.may_decide
              ? html`<h3 id="datahub-incoming-heading">${t('datahub.incomingForDataset')}</h3>
                  ${this.incoming.length === 0 ? html`<p>${t('datahub.requestsEmpty')}</p>` : nothing}
                  ${this.incoming.map(
                    (r) => html`<cityos-datahub-request
                      .request=${r}
                      .side=${'owner'}
                      .names=${this.names}
                      .showDataset=${false}
                      @request-changed=${(e: CustomEvent<AccessRequest>) => {
                        this.incoming = this.incoming.map((x) => (x.id === e.detail.id ? e.detail : x));
                      }}
                    ></cityos-datahub-request>`,
                  )}
                  <h3 id="datahub-dataset-log">${t('datahub.logHeading')}</h3>
                  <p class="hint">${t('datahub.logIntro')}</p>
                  <cityos-datahub-access-log .datasetName=${d.name} .names=${this.names}></cityos-datahub-access-log>`
              : nothing}
            ${s.may_request
              ? html`<cityos-datahub-request-form
                  .datasetName=${d.name}
                  .personalFields=${s.personal_fields}
                  @request-changed=${() => void this.loadSharing()}
                ></cityos-datahub-request-form>`
              : nothing}
            ${!s.may_decide && s.requests.length > 0
              ? html`<h3>${t('datahub.myRequestsForDataset')}</h3>
                  ${s.requests.map(
                    (r) => html`<cityos-datahub-request
                      .request=${r}
                      .side=${'requester'}
                      .names=${this.names}
                      .showDataset=${false}
                      @request-changed=${() => void this.loadSharing()}
                    ></cityos-datahub-request>`,
                  )}`
              : nothing}`
        : this.sharingError
          ? nothing
          : html`<p role="status">${t('common.loading')}</p>`}
    </section>`;
  }

  private renderCreate(): TemplateResult {
    return html`<div class="page datahub-dataset-page">
      <p><a class="back-link" href=${href('/datahub')}>${t('datahub.back')}</a></p>
      <h1 tabindex="-1">${t('datahub.newTitle')}</h1>
      <p class="lead">${t('datahub.newIntro')}</p>
      <section class="card" aria-label=${t('datahub.newTitle')}>
        <cityos-datahub-dataset-form
          .editing=${null}
          .names=${this.names}
          .agencies=${managedAgencies(session.me)}
          @dataset-saved=${(e: CustomEvent<Dataset>) => navigate(`/datahub/datasets/${e.detail.name}`)}
        ></cityos-datahub-dataset-form>
      </section>
    </div>`;
  }

  override render(): TemplateResult {
    if (!this.name) return this.renderCreate();
    const d = this.item;
    const back = html`<p><a class="back-link" href=${href('/datahub')}>${t('datahub.back')}</a></p>`;
    if (this.notFound) {
      return html`<div class="page">
        ${back}
        <h1 tabindex="-1">${t('data.notFoundTitle')}</h1>
        <p>${t('datahub.notFoundBody')}</p>
      </div>`;
    }
    if (!d) {
      return html`<div class="page">
        ${back}
        <h1 tabindex="-1">${t('datahub.datasetTitle')}</h1>
        <div class="form-error" role="alert">${this.loadError}</div>
        ${this.loadError ? nothing : html`<p role="status">${t('common.loading')}</p>`}
      </div>`;
    }
    const locale = getLocale();
    const title = datasetTitle(d, locale);
    const writable = canWrite(session.me, d.owner_agency);
    return html`<div class="page page-wide datahub-dataset-page" data-name=${d.name}>
      ${back}
      <div class="page-head">
        <h1 tabindex="-1" lang=${title.lang}>${title.text}</h1>
        <div class="page-actions">
          ${d.sharing_level === 'open' && d.state === 'active'
            ? html`<a class="button button-secondary" href=${href(`/data/${d.name}`)} data-action="public-page">${t('datahub.publicPage')}</a>`
            : nothing}
        </div>
      </div>
      <p class="data-result-meta">
        <span>${this.names.agency(d.owner_agency, locale)}</span>
        <span class="datahub-level datahub-level-${d.sharing_level}">${levelLabel(d.sharing_level)}</span>
        <span>${t('datahub.revision', { revision: d.revision })}</span>
      </p>
      <div class="form-error" role="alert">${this.loadError}</div>
      <section class="card" aria-labelledby="datahub-meta-heading">
        <h2 id="datahub-meta-heading">${t('datahub.metaHeading')}</h2>
        ${writable
          ? html`<cityos-datahub-dataset-form
              .editing=${d}
              .names=${this.names}
              .agencies=${managedAgencies(session.me)}
              @dataset-saved=${(e: CustomEvent<Dataset>) => this.onSaved(e.detail)}
            ></cityos-datahub-dataset-form>`
          : this.renderFacts(d)}
      </section>
      <section aria-labelledby="datahub-resources-heading">
        <h2 id="datahub-resources-heading">${t('datahub.resourcesHeading')}</h2>
        ${d.resources.length === 0 ? html`<p>${t('data.noResources')}</p>` : nothing}
        ${d.resources.map(
          (r) => html`<cityos-datahub-resource .resource=${r} .canWrite=${writable} @resource-changed=${() => void this.reloadDataset()}></cityos-datahub-resource>`,
        )}
        ${writable ? this.renderAddResource() : nothing}
      </section>
      ${this.renderSharing(d)}
    </div>`;
  }
}

customElements.define('cityos-data-console-dataset-page', DataConsoleDatasetPage);
