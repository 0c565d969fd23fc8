/**
 * The asset detail panel: attributes (titles from the network model), the
 * connected links and nodes, and the history with who changed what when
 * (the properties that differ from the version before). For someone who may
 * edit for the owner agency: edit the attributes, move a point by typed
 * coordinates, delete with confirmation — every write sends the ETag it read
 * as `If-Match`, and a 412 says someone else changed the asset meanwhile.
 * The server decides; its refusals are shown as they come.
 */
import { html, nothing, type PropertyValues, type TemplateResult } from 'lit';
import { ConsoleElement } from '../components/base';
import { ApiError } from '../api/client';
import { describeError } from '../api/errors';
import type { Agency } from '../api/types';
import { announce } from '../announcer';
import { getLocale, t, tMaybe } from '../i18n';
import { formatNumber } from '../i18n/format';
import { loadAgencies } from '../feedback/reference';
import { session } from '../session';
import { mergePatch, type Connection, type GisFeature, type HistoryEntry } from './api';
import { gisClient } from './client';
import { attributesOf, canEditAsset, collectionDef, collectionTitle, CONDITIONS, networkOf, networkTitle, STATUSES, type Attr } from './model';
import {
  actorParts,
  buildPropertyPatch,
  diffProperties,
  editableAttributes,
  farFromCity,
  formatValue,
  geometryChanged,
  historyTime,
  inputValue,
  isoTime,
  parsePosition,
  positionText,
  type FieldError,
} from './values';
import { anchorOf } from './view';

type Mode = 'view' | 'edit' | 'move' | 'delete';

let agencies: Promise<Agency[]> | null = null;
function agencyList(): Promise<Agency[]> {
  agencies ??= loadAgencies().catch(() => {
    agencies = null;
    return [];
  });
  return agencies;
}

/** Labels of code-list values (status, condition, flow role, network) in the current language. */
export function codeLabel(attribute: string, value: string): string {
  if (attribute === 'network') {
    const network = networkOf(`${value}-`);
    return network ? networkTitle(network, getLocale()) : value;
  }
  const group = attribute === 'flow_role' ? 'flowRole' : attribute;
  return tMaybe(`gis.${group}.${value}`, value);
}

export class AssetPanel extends ConsoleElement {
  static override properties = {
    collection: {},
    featureId: {},
    feature: { state: true },
    etag: { state: true },
    history: { state: true },
    connections: { state: true },
    agencyNames: { state: true },
    loading: { state: true },
    error: { state: true },
    historyError: { state: true },
    mode: { state: true },
    fieldErrors: { state: true },
    actionError: { state: true },
    conflict: { state: true },
    saving: { state: true },
    moveWarning: { state: true },
  };

  collection = '';
  featureId = '';
  feature: GisFeature | null = null;
  etag: string | null = null;
  history: HistoryEntry[] = [];
  connections: Connection[] = [];
  agencyNames: Map<string, Agency> = new Map();
  loading = false;
  error = '';
  historyError = '';
  mode: Mode = 'view';
  fieldErrors: FieldError[] = [];
  actionError = '';
  conflict = false;
  saving = false;
  moveWarning = false;

  private abort: AbortController | null = null;
  /** Frame the asset on the map only when it was opened from elsewhere than the map view. */
  private frameNext = true;

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.abort?.abort();
  }

  protected override willUpdate(changed: PropertyValues): void {
    if (changed.has('collection') || changed.has('featureId')) {
      this.mode = 'view';
      this.actionError = '';
      this.conflict = false;
      this.fieldErrors = [];
      void this.load(true);
    }
  }

  private async load(focus: boolean): Promise<void> {
    this.abort?.abort();
    const abort = new AbortController();
    this.abort = abort;
    this.loading = true;
    this.error = '';
    const { collection, featureId } = this;
    void agencyList().then((list) => (this.agencyNames = new Map(list.map((agency) => [agency.code, agency]))));
    try {
      const versioned = await gisClient.feature(collection, featureId, abort.signal);
      if (abort.signal.aborted) return;
      this.feature = versioned.feature;
      this.etag = versioned.etag;
      this.dispatchEvent(new CustomEvent('gis-feature-loaded', { detail: { feature: versioned.feature, frame: this.frameNext }, bubbles: true }));
      this.frameNext = true;
    } catch (error) {
      if (abort.signal.aborted) return;
      this.feature = null;
      this.error = describeError(error);
      this.loading = false;
      return;
    }
    await this.loadDetails(abort);
    if (abort.signal.aborted) return;
    this.loading = false;
    if (focus) {
      await this.updateComplete;
      this.querySelector<HTMLElement>('.gis-asset-heading')?.focus();
    }
  }

  /** History and connections (after a write the feature and its ETag come with the answer: only these are read again). */
  private async loadDetails(abort: AbortController): Promise<void> {
    this.historyError = '';
    const [history, connections] = await Promise.allSettled([
      gisClient.history(this.collection, this.featureId, abort.signal),
      gisClient.connections(this.featureId, abort.signal),
    ]);
    if (abort.signal.aborted) return;
    this.history = history.status === 'fulfilled' ? history.value : [];
    this.connections = connections.status === 'fulfilled' ? connections.value : [];
    const failed = [history, connections].find((outcome) => outcome.status === 'rejected');
    this.historyError = failed ? describeError(failed.reason) : '';
  }

  private canEdit(): boolean {
    const me = session.me;
    return !!me && !!this.feature && canEditAsset(me.grants, this.feature.properties['owner_agency'] as string | undefined);
  }

  private open(collection: string, id: string, event?: Event): void {
    event?.preventDefault();
    this.dispatchEvent(new CustomEvent('gis-open-feature', { detail: { collection, id }, bubbles: true }));
  }

  private setMode(mode: Mode): void {
    this.mode = mode;
    this.actionError = '';
    this.fieldErrors = [];
    this.moveWarning = false;
    void this.updateComplete.then(() => {
      const target = mode === 'view' ? this.querySelector<HTMLElement>('[data-action="edit"]') : this.querySelector<HTMLElement>('.gis-asset-form input, .gis-asset-form select, .gis-delete-confirm button');
      target?.focus();
    });
  }

  /** The write failed: a stale ETag gets its own message and a reload; everything else the server's words. */
  private writeFailed(error: unknown): void {
    if (error instanceof ApiError && error.status === 412) {
      this.conflict = true;
      this.actionError = t('gis.conflict');
    } else {
      this.actionError = describeError(error);
    }
  }

  private async reloadAfterConflict(): Promise<void> {
    this.conflict = false;
    this.actionError = '';
    this.mode = 'view';
    this.frameNext = false;
    await this.load(true);
    announce(t('gis.reloaded'));
  }

  private async save(event: Event): Promise<void> {
    event.preventDefault();
    if (!this.feature) return;
    const form = event.target as HTMLFormElement;
    const values: Record<string, string> = {};
    for (const attr of editableAttributes(this.collection)) {
      const field = form.elements.namedItem(attr.name) as HTMLInputElement | HTMLSelectElement | null;
      if (field) values[attr.name] = field.value;
    }
    const { patch, errors } = buildPropertyPatch(this.collection, values, this.feature.properties, getLocale());
    this.fieldErrors = errors;
    if (errors.length > 0) {
      this.actionError = t('gis.formInvalid');
      await this.updateComplete;
      this.querySelector<HTMLElement>(`[name="${errors[0]!.name}"]`)?.focus();
      return;
    }
    if (Object.keys(patch).length === 0) {
      this.actionError = '';
      announce(t('gis.noChanges'));
      this.setMode('view');
      return;
    }
    await this.write(mergePatch(patch), 'gis.saved');
  }

  private async move(event: Event): Promise<void> {
    event.preventDefault();
    if (!this.feature) return;
    const form = event.target as HTMLFormElement;
    const lon = (form.elements.namedItem('lon') as HTMLInputElement).value;
    const lat = (form.elements.namedItem('lat') as HTMLInputElement).value;
    const { position, errors } = parsePosition(lon, lat, getLocale());
    this.fieldErrors = errors.map((name) => ({ name, code: 'number' }));
    if (!position) {
      this.actionError = t('gis.formInvalid');
      return;
    }
    if (farFromCity(position) && !this.moveWarning) {
      // Ask once: a position outside the city is usually swapped coordinates or another CRS.
      this.moveWarning = true;
      this.actionError = t('gis.farFromCity');
      return;
    }
    await this.write(mergePatch({}, { type: 'Point', coordinates: position }), 'gis.moved');
  }

  private async write(patch: Record<string, unknown>, done: 'gis.saved' | 'gis.moved'): Promise<void> {
    this.saving = true;
    this.actionError = '';
    try {
      const updated = await gisClient.patch(this.collection, this.featureId, patch, this.etag);
      this.feature = updated.feature;
      // The answer's ETag is the version just written: the next write sends it, so a change by someone else in between is caught.
      this.etag = updated.etag;
      this.mode = 'view';
      this.fieldErrors = [];
      announce(t(done));
      this.dispatchEvent(new CustomEvent('gis-feature-loaded', { detail: { feature: updated.feature, frame: false }, bubbles: true }));
      await this.updateComplete;
      this.querySelector<HTMLElement>('[data-action="edit"]')?.focus();
      this.abort?.abort();
      const abort = new AbortController();
      this.abort = abort;
      await this.loadDetails(abort);
      // The map reloads its features after the panel has read the new history (browsers allow few parallel requests).
      this.dispatchEvent(new CustomEvent('gis-feature-changed', { bubbles: true }));
    } catch (error) {
      this.writeFailed(error);
    } finally {
      this.saving = false;
    }
  }

  private async deleteAsset(): Promise<void> {
    this.saving = true;
    this.actionError = '';
    try {
      await gisClient.remove(this.collection, this.featureId, this.etag);
      announce(t('gis.deleted', { name: this.name() }));
      this.dispatchEvent(new CustomEvent('gis-feature-deleted', { bubbles: true }));
    } catch (error) {
      this.writeFailed(error);
    } finally {
      this.saving = false;
    }
  }

  private name(): string {
    const name = this.feature?.properties['name'];
    return typeof name === 'string' && name !== '' ? name : this.featureId;
  }

  private attr(name: string): Attr | undefined {
    return attributesOf(this.collection).find((candidate) => candidate.name === name);
  }

  private display(name: string, value: unknown): string {
    const locale = getLocale();
    const def = collectionDef(this.collection);
    // The asset type is the collection's own (a post office in "Bưu cục").
    if (name === 'asset_type' && def) return def[locale];
    if (name === 'owner_agency' && typeof value === 'string') {
      const agency = this.agencyNames.get(value);
      if (agency) return `${locale === 'vi' ? agency.name_vi : agency.name_en} (${value})`;
    }
    return formatValue(this.attr(name), value, locale, codeLabel);
  }

  private label(name: string): string {
    const attr = this.attr(name);
    return attr ? attr[getLocale()] : name;
  }

  // ---- rendering --------------------------------------------------------

  private renderAttributes(feature: GisFeature): TemplateResult {
    const known = attributesOf(this.collection).map((attr) => attr.name);
    const others = Object.keys(feature.properties).filter((name) => !known.includes(name));
    const rows = [...known, ...others].filter((name) => feature.properties[name] !== undefined && feature.properties[name] !== null && feature.properties[name] !== '');
    const anchor = anchorOf(feature);
    const locale = getLocale();
    return html`<table class="data-table gis-attributes">
      <caption class="visually-hidden">${t('gis.attributesOf', { name: this.name() })}</caption>
      <tbody>
        ${rows.map((name) => html`<tr data-attr=${name}><th scope="row">${this.label(name)}</th><td>${this.display(name, feature.properties[name])}</td></tr>`)}
        ${anchor
          ? html`<tr data-attr="position">
              <th scope="row">${feature.geometry?.type === 'Point' ? t('gis.position') : t('gis.startPoint')}</th>
              <td>${positionText(anchor, locale)}</td>
            </tr>`
          : nothing}
      </tbody>
    </table>`;
  }

  private renderConnections(): TemplateResult {
    const locale = getLocale();
    if (this.connections.length === 0) return html`<p class="hint">${t('gis.noConnections')}</p>`;
    return html`<ul class="plain-list gis-connections">
      ${this.connections.map((connection) => {
        // From a link, show the node at each end; from a node, the links that meet it.
        const other =
          connection.link_id === this.featureId
            ? { collection: connection.node_collection, id: connection.node_id }
            : { collection: connection.link_collection, id: connection.link_id };
        const end = tMaybe(`gis.end.${connection.end}`, connection.end);
        const link = `#/gis?${new URLSearchParams({ collection: other.collection, id: other.id }).toString()}`;
        return html`<li data-connection=${other.id}>
          <a href=${link} @click=${(e: Event) => this.open(other.collection, other.id, e)}>${collectionTitle(other.collection, locale)} ${other.id}</a>
          <span class="hint">(${t('gis.connectionEnd', { end })})</span>
        </li>`;
      })}
    </ul>`;
  }

  private renderHistory(): TemplateResult {
    const locale = getLocale();
    if (this.history.length === 0) return html`<p class="hint">${t('gis.noHistory')}</p>`;
    // Newest first; each version is compared with the one before it.
    const ordered = [...this.history].sort((x, y) => y.version - x.version);
    return html`<ol class="gis-history" reversed>
      ${ordered.map((entry, index) => {
        const previous = ordered[index + 1] ?? null;
        const changes = diffProperties(previous?.feature?.properties ?? null, entry.feature?.properties ?? null);
        const moved = geometryChanged(previous?.feature?.geometry, entry.feature?.geometry);
        const actor = actorParts(entry.actor);
        const me = session.me;
        const who =
          actor.kind === 'system'
            ? t('gis.actorSystem')
            : actor.kind === 'apikey'
              ? t('gis.actorApiKey', { id: actor.id })
              : actor.kind === 'user' && me && actor.id === me.id
                ? t('gis.actorYou', { name: me.display_name })
                : actor.kind === 'user'
                  ? t('gis.actorUser', { id: actor.id })
                  : entry.actor;
        return html`<li class="gis-version" data-version=${entry.version} data-change=${entry.change}>
          <p class="gis-version-head">
            <strong>${t('gis.version', { version: formatNumber(entry.version, locale) })}</strong>
            · ${tMaybe(`gis.change.${entry.change}`, entry.change)} ·
            <time class="gis-version-time" datetime=${isoTime(entry.valid_from) ?? nothing}>${historyTime(entry.valid_from, locale)}</time> · ${who}
          </p>
          ${entry.change === 'create' || !previous
            ? nothing
            : changes.length === 0 && !moved
              ? html`<p class="hint">${t('gis.noPropertyChanges')}</p>`
              : html`<table class="data-table gis-diff">
                  <caption class="visually-hidden">${t('gis.diffCaption', { version: entry.version })}</caption>
                  <thead><tr><th scope="col">${t('gis.diffAttribute')}</th><th scope="col">${t('gis.diffBefore')}</th><th scope="col">${t('gis.diffAfter')}</th></tr></thead>
                  <tbody>
                    ${changes.map(
                      (change) => html`<tr data-attr=${change.name}>
                        <th scope="row">${this.label(change.name)}</th>
                        <td>${this.display(change.name, change.before) || '—'}</td>
                        <td>${this.display(change.name, change.after) || '—'}</td>
                      </tr>`,
                    )}
                    ${moved ? html`<tr data-attr="geometry"><th scope="row">${t('gis.geometry')}</th><td colspan="2">${t('gis.geometryMoved')}</td></tr>` : nothing}
                  </tbody>
                </table>`}
        </li>`;
      })}
    </ol>`;
  }

  private fieldError(name: string): FieldError | undefined {
    return this.fieldErrors.find((error) => error.name === name);
  }

  private renderField(attr: Attr, value: unknown): TemplateResult {
    const locale = getLocale();
    const id = `gis-edit-${attr.name}`;
    const error = this.fieldError(attr.name);
    const errorId = `${id}-error`;
    const described = error ? errorId : nothing;
    const errorText = error ? html`<p class="field-error" id=${errorId}>${t(`gis.fieldError.${error.code}`)}</p>` : nothing;
    if (attr.name === 'status' || attr.name === 'condition') {
      const options = attr.name === 'status' ? STATUSES : CONDITIONS;
      return html`<div class="field">
        <label for=${id}>${attr[locale]}</label>
        <select id=${id} name=${attr.name} aria-invalid=${error ? 'true' : 'false'} aria-describedby=${described}>
          ${attr.name === 'condition' ? html`<option value="" ?selected=${!value}>${t('gis.notSet')}</option>` : nothing}
          ${options.map((option) => html`<option value=${option} ?selected=${value === option}>${codeLabel(attr.name, option)}</option>`)}
        </select>
        ${errorText}
      </div>`;
    }
    const type = attr.type === 'date' ? 'date' : 'text';
    const numeric = attr.type === 'number' || attr.type === 'integer';
    return html`<div class="field">
      <label for=${id}>${attr[locale]}</label>
      <input
        id=${id}
        name=${attr.name}
        type=${type}
        inputmode=${numeric ? (attr.type === 'integer' ? 'numeric' : 'decimal') : nothing}
        .value=${inputValue(attr, value, locale)}
        aria-invalid=${error ? 'true' : 'false'}
        aria-describedby=${described}
        ?required=${attr.name === 'name'}
      />
      ${errorText}
    </div>`;
  }

  private renderEditForm(feature: GisFeature): TemplateResult {
    return html`<form class="gis-asset-form" novalidate @submit=${(e: Event) => void this.save(e)} aria-labelledby="gis-edit-heading">
      <h3 id="gis-edit-heading">${t('gis.editHeading')}</h3>
      ${editableAttributes(this.collection).map((attr) => this.renderField(attr, feature.properties[attr.name]))}
      <div class="form-actions">
        <button type="submit" class="button" ?disabled=${this.saving}>${this.saving ? t('common.saving') : t('common.save')}</button>
        <button type="button" class="button button-secondary" @click=${() => this.setMode('view')}>${t('common.cancel')}</button>
      </div>
    </form>`;
  }

  private renderMoveForm(feature: GisFeature): TemplateResult {
    const locale = getLocale();
    const anchor = anchorOf(feature);
    const show = (value: number | undefined) => (value === undefined ? '' : locale === 'vi' ? String(value).replace('.', ',') : String(value));
    const field = (name: 'lon' | 'lat') => {
      const error = this.fieldError(name);
      return html`<div class="field">
        <label for=${`gis-move-${name}`}>${t(name === 'lon' ? 'gis.longitude' : 'gis.latitude')}</label>
        <input
          id=${`gis-move-${name}`}
          name=${name}
          inputmode="decimal"
          .value=${show(name === 'lon' ? anchor?.[0] : anchor?.[1])}
          aria-invalid=${error ? 'true' : 'false'}
          aria-describedby=${`gis-move-hint ${error ? `gis-move-${name}-error` : ''}`.trim()}
        />
        ${error ? html`<p class="field-error" id=${`gis-move-${name}-error`}>${t(name === 'lon' ? 'gis.fieldError.lon' : 'gis.fieldError.lat')}</p>` : nothing}
      </div>`;
    };
    return html`<form class="gis-asset-form" novalidate @submit=${(e: Event) => void this.move(e)} aria-labelledby="gis-move-heading">
      <h3 id="gis-move-heading">${t('gis.moveHeading')}</h3>
      <p class="hint" id="gis-move-hint">${t('gis.moveHint')}</p>
      ${field('lon')} ${field('lat')}
      <div class="form-actions">
        <button type="submit" class="button" ?disabled=${this.saving}>${this.moveWarning ? t('gis.moveAnyway') : t('gis.moveSubmit')}</button>
        <button type="button" class="button button-secondary" @click=${() => this.setMode('view')}>${t('common.cancel')}</button>
      </div>
    </form>`;
  }

  private renderDeleteConfirm(): TemplateResult {
    return html`<div class="gis-delete-confirm notice notice-warning" role="group" aria-labelledby="gis-delete-question">
      <p id="gis-delete-question">${t('gis.deleteQuestion', { name: this.name() })}</p>
      <div class="form-actions">
        <button type="button" class="button button-danger-solid" data-action="confirm-delete" ?disabled=${this.saving} @click=${() => void this.deleteAsset()}>
          ${t('gis.deleteConfirm')}
        </button>
        <button type="button" class="button button-secondary" @click=${() => this.setMode('view')}>${t('common.cancel')}</button>
      </div>
    </div>`;
  }

  private renderActions(feature: GisFeature): TemplateResult | typeof nothing {
    if (!this.canEdit()) return html`<p class="hint gis-readonly">${t('gis.readOnly')}</p>`;
    if (this.mode === 'edit') return this.renderEditForm(feature);
    if (this.mode === 'move') return this.renderMoveForm(feature);
    if (this.mode === 'delete') return this.renderDeleteConfirm();
    return html`<div class="form-actions gis-asset-actions">
      <button type="button" class="button" data-action="edit" @click=${() => this.setMode('edit')}>${t('gis.edit')}</button>
      ${feature.geometry?.type === 'Point'
        ? html`<button type="button" class="button button-secondary" data-action="move" @click=${() => this.setMode('move')}>${t('gis.move')}</button>`
        : nothing}
      <button type="button" class="button button-danger" data-action="delete" @click=${() => this.setMode('delete')}>${t('gis.delete')}</button>
    </div>`;
  }

  /**
   * Escape steps back: out of a form or the delete question to the panel (focus on
   * its first action), and from the panel to where it was opened from (the page
   * decides where focus goes). A key already handled inside (an open select) is left alone.
   */
  private onKeydown(event: KeyboardEvent): void {
    if (event.key !== 'Escape' || event.defaultPrevented || event.isComposing) return;
    event.preventDefault();
    if (this.mode !== 'view') {
      if (!this.saving) this.setMode('view');
      return;
    }
    this.close();
  }

  private close(): void {
    this.dispatchEvent(new CustomEvent('gis-close', { bubbles: true }));
  }

  override render(): TemplateResult {
    const locale = getLocale();
    const feature = this.feature;
    const def = collectionDef(this.collection);
    return html`<section
      class="card gis-asset"
      aria-labelledby="gis-asset-heading"
      aria-describedby="gis-asset-keys"
      data-feature-id=${this.featureId}
      data-collection=${this.collection}
      @keydown=${(e: KeyboardEvent) => this.onKeydown(e)}
    >
      <p id="gis-asset-keys" class="visually-hidden">${t('gis.escapeHint')}</p>
      <div class="gis-asset-top">
        <h2 id="gis-asset-heading" class="gis-asset-heading" tabindex="-1">${feature ? this.name() : this.featureId}</h2>
        <button type="button" class="button button-small button-secondary" data-action="close" @click=${() => this.close()}>
          ${t('common.close')}
        </button>
      </div>
      <p class="gis-asset-type">${def ? `${networkTitle(def.network, locale)} · ${def[locale]}` : this.collection}</p>
      ${this.loading && !feature ? html`<p role="status">${t('common.loading')}</p>` : nothing}
      <div class="form-error" role="alert">${this.error}</div>
      ${feature
        ? html`${this.renderAttributes(feature)}
            <div class="form-error" role="alert" aria-live="assertive">${this.actionError}</div>
            ${this.conflict
              ? html`<button type="button" class="button" data-action="reload" @click=${() => void this.reloadAfterConflict()}>${t('gis.reload')}</button>`
              : nothing}
            ${this.renderActions(feature)}
            <h3>${t('gis.connections')}</h3>
            ${this.renderConnections()}
            <h3>${t('gis.history')}</h3>
            <div class="form-error" role="alert">${this.historyError}</div>
            ${this.renderHistory()}`
        : nothing}
    </section>`;
  }
}

customElements.define('cityos-gis-asset-panel', AssetPanel);
