/**
 * The infrastructure network model as the console sees it: networks,
 * collections and attributes with their Vietnamese and English titles,
 * mirroring `crates/cityos_gis/src/model.rs` (INSPIRE Utility Networks).
 * Pure data and functions, unit-tested.
 */
import type { Locale } from '../i18n/format';

/** A utility network type (INSPIRE `UtilityNetworkType`, plus post). */
export type Network = 'electricity' | 'water' | 'sewer' | 'telecom' | 'thermal' | 'post';

export const NETWORKS: readonly Network[] = ['electricity', 'water', 'sewer', 'telecom', 'thermal', 'post'];

export const NETWORK_TITLES: Record<Network, { vi: string; en: string }> = {
  electricity: { vi: 'Lưới điện', en: 'Electricity' },
  water: { vi: 'Cấp nước', en: 'Water supply' },
  sewer: { vi: 'Thoát nước', en: 'Sewer and drainage' },
  telecom: { vi: 'Viễn thông', en: 'Telecommunications' },
  thermal: { vi: 'Nhiệt', en: 'Thermal' },
  post: { vi: 'Bưu chính', en: 'Post' },
};

export type AttrType = 'text' | 'number' | 'integer' | 'date' | 'timestamp';

export interface Attr {
  name: string;
  type: AttrType;
  vi: string;
  en: string;
  /** Allowed values of a code list; absent when free. */
  values?: readonly string[];
}

export type AssetKind = 'link' | 'node' | 'facility';

export interface CollectionDef {
  id: string;
  network: Network;
  kind: AssetKind;
  geometry: 'Point' | 'LineString';
  /** Sources and sinks of the flow. */
  flowRole?: 'source' | 'sink';
  vi: string;
  en: string;
  extra: readonly Attr[];
}

/** Allowed `status` values (INSPIRE `ConditionOfFacility`). */
export const STATUSES = ['functional', 'projected', 'under_construction', 'disused', 'decommissioned'] as const;
/** Allowed `condition` values. */
export const CONDITIONS = ['good', 'fair', 'poor', 'critical', 'unknown'] as const;

const a = (name: string, type: AttrType, vi: string, en: string, values?: readonly string[]): Attr => ({ name, type, vi, en, values });

/** Attributes every feature has. */
export const COMMON_ATTRIBUTES: readonly Attr[] = [
  a('name', 'text', 'Tên', 'Name'),
  a('network', 'text', 'Mạng lưới', 'Network'),
  a('asset_type', 'text', 'Loại tài sản', 'Asset type'),
  a('owner_agency', 'text', 'Đơn vị quản lý', 'Owner agency'),
  a('status', 'text', 'Trạng thái', 'Status', STATUSES),
  a('condition', 'text', 'Tình trạng', 'Condition', CONDITIONS),
  a('material', 'text', 'Vật liệu', 'Material'),
  a('diameter_mm', 'number', 'Đường kính (mm)', 'Diameter (mm)'),
  a('voltage_kv', 'number', 'Điện áp (kV)', 'Voltage (kV)'),
  a('depth_m', 'number', 'Độ sâu (m)', 'Depth (m)'),
  a('install_date', 'date', 'Ngày lắp đặt', 'Install date'),
  a('flow_role', 'text', 'Vai trò dòng chảy', 'Flow role'),
  a('valid_from', 'timestamp', 'Hiệu lực từ', 'Valid from'),
  a('valid_to', 'timestamp', 'Hiệu lực đến', 'Valid to'),
];

/** Attributes that come from the collection or the history and are never edited by hand. */
export const READ_ONLY_ATTRIBUTES: ReadonlySet<string> = new Set(['network', 'asset_type', 'owner_agency', 'flow_role', 'valid_from', 'valid_to']);

const c = (
  id: string,
  network: Network,
  kind: AssetKind,
  vi: string,
  en: string,
  extra: Attr[] = [],
  flowRole?: 'source' | 'sink',
): CollectionDef => ({ id, network, kind, geometry: kind === 'link' ? 'LineString' : 'Point', flowRole, vi, en, extra });

/** Every collection, in the order of the server's landing page. */
export const COLLECTIONS: readonly CollectionDef[] = [
  c('electricity-substations', 'electricity', 'node', 'Trạm biến áp nguồn', 'Substations', [a('capacity_mva', 'number', 'Công suất (MVA)', 'Capacity (MVA)')], 'source'),
  c('electricity-transformers', 'electricity', 'node', 'Máy biến áp phân phối', 'Distribution transformers', [a('capacity_kva', 'number', 'Công suất (kVA)', 'Capacity (kVA)')]),
  c('electricity-switches', 'electricity', 'node', 'Thiết bị đóng cắt', 'Switches', [a('normally_open', 'integer', 'Thường mở (1/0)', 'Normally open (1/0)')]),
  c('electricity-poles', 'electricity', 'node', 'Cột điện', 'Poles', [a('height_m', 'number', 'Chiều cao (m)', 'Height (m)')]),
  c('electricity-cables', 'electricity', 'link', 'Đường dây và cáp điện', 'Cables and lines', [
    a('conductor', 'text', 'Loại dây dẫn', 'Conductor'),
    a('underground', 'integer', 'Đi ngầm (1/0)', 'Underground (1/0)'),
  ]),
  c('water-treatment-plants', 'water', 'node', 'Nhà máy nước', 'Treatment plants', [a('capacity_m3_day', 'number', 'Công suất (m³/ngày)', 'Capacity (m³/day)')], 'source'),
  c('water-valves', 'water', 'node', 'Van', 'Valves', [a('normally_open', 'integer', 'Thường mở (1/0)', 'Normally open (1/0)')]),
  c('water-hydrants', 'water', 'node', 'Trụ cứu hỏa', 'Hydrants'),
  c('water-service-connections', 'water', 'node', 'Đấu nối khách hàng', 'Service connections', [a('customer_count', 'integer', 'Số khách hàng', 'Customers')]),
  c('water-pipes', 'water', 'link', 'Đường ống cấp nước', 'Water mains', [a('pressure_bar', 'number', 'Áp lực (bar)', 'Pressure (bar)')]),
  c('sewer-outfalls', 'sewer', 'node', 'Cửa xả', 'Outfalls', [a('receiving_water', 'text', 'Nguồn tiếp nhận', 'Receiving water')], 'sink'),
  c('sewer-manholes', 'sewer', 'node', 'Hố ga', 'Manholes', [a('invert_level_m', 'number', 'Cao độ đáy (m)', 'Invert level (m)')]),
  c('sewer-pipes', 'sewer', 'link', 'Cống thoát nước', 'Sewers and drains', [a('gravity', 'integer', 'Tự chảy (1/0)', 'Gravity (1/0)')]),
  c('telecom-exchanges', 'telecom', 'node', 'Tổng đài', 'Exchanges', [], 'source'),
  c('telecom-cabinets', 'telecom', 'node', 'Tủ cáp', 'Cabinets', [a('ports', 'integer', 'Số cổng', 'Ports')]),
  c('telecom-manholes', 'telecom', 'node', 'Hầm cáp', 'Cable manholes'),
  c('telecom-ducts', 'telecom', 'link', 'Cống bể cáp', 'Ducts', [a('ways', 'integer', 'Số ống', 'Ways')]),
  c('telecom-cables', 'telecom', 'link', 'Cáp viễn thông', 'Telecom cables', [a('fibre_count', 'integer', 'Số sợi', 'Fibres')]),
  c('thermal-plants', 'thermal', 'node', 'Trạm nhiệt/lạnh', 'Heating/cooling plants', [], 'source'),
  c('thermal-pipes', 'thermal', 'link', 'Đường ống nhiệt/lạnh', 'Thermal pipes'),
  c('post-offices', 'post', 'facility', 'Bưu cục', 'Post offices', [
    a('postcode', 'text', 'Mã bưu chính', 'Postcode'),
    a('opening_hours', 'text', 'Giờ mở cửa', 'Opening hours'),
  ]),
];

export function collectionDef(id: string): CollectionDef | undefined {
  return COLLECTIONS.find((def) => def.id === id);
}

export function collectionsOf(network: Network): CollectionDef[] {
  return COLLECTIONS.filter((def) => def.network === network);
}

/** The network of a collection id (`water-valves` → water), null when unknown. */
export function networkOf(collectionId: string): Network | null {
  const def = collectionDef(collectionId);
  if (def) return def.network;
  const prefix = collectionId.split('-', 1)[0] ?? '';
  return (NETWORKS as readonly string[]).includes(prefix) ? (prefix as Network) : null;
}

/** Every attribute of a collection: the common ones, then its own. */
export function attributesOf(collectionId: string): Attr[] {
  return [...COMMON_ATTRIBUTES, ...(collectionDef(collectionId)?.extra ?? [])];
}

/** The attribute's title in `locale`; the wire name when the model does not know it. */
export function attributeLabel(collectionId: string, name: string, locale: Locale): string {
  const attr = attributesOf(collectionId).find((candidate) => candidate.name === name);
  return attr ? attr[locale] : name;
}

export function collectionTitle(collectionId: string, locale: Locale): string {
  const def = collectionDef(collectionId);
  return def ? def[locale] : collectionId;
}

export function networkTitle(network: Network, locale: Locale): string {
  return NETWORK_TITLES[network][locale];
}

/**
 * Collections shown at any zoom: sources, sinks and facilities are few and
 * give the city-wide picture; the thousands of pipes, poles and manholes
 * appear only when zoomed in.
 */
export function isOverviewCollection(def: CollectionDef): boolean {
  return def.flowRole !== undefined || def.kind === 'facility';
}

/** Whether `scopes` (role grants) let someone edit assets owned by `ownerAgency` (the server decides in the end). */
export function canEditAsset(
  grants: ReadonlyArray<{ role: string; scope: { kind: string; code?: string } }>,
  ownerAgency: string | null | undefined,
): boolean {
  return grants.some((grant) => {
    if (!EDITOR_ROLES.has(grant.role)) return false;
    if (grant.role === 'admin' || grant.scope.kind === 'city') return true;
    return grant.scope.kind === 'agency' && !!ownerAgency && grant.scope.code === ownerAgency;
  });
}

/** Whether someone may import features at all (they still need rights for the owner agency). */
export function canImport(grants: ReadonlyArray<{ role: string }>): boolean {
  return grants.some((grant) => EDITOR_ROLES.has(grant.role));
}

/** Roles that maintain infrastructure assets (`staff` of the owner agency and its administrators). */
export const EDITOR_ROLES: ReadonlySet<string> = new Set(['admin', 'agency_admin', 'staff']);
