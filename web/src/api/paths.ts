// Paths of the HTTP API, in one place.
const e = encodeURIComponent
export const V1 = '/api/v1'
export const paths = {
  apps: () => `${V1}/apps`,
  app: (app: string) => `${V1}/apps/${e(app)}`,
  tables: (app: string) => `${V1}/apps/${e(app)}/tables`,
  table: (app: string, table: string) => `${V1}/apps/${e(app)}/tables/${e(table)}`,
  fields: (app: string, table: string) => `${paths.table(app, table)}/fields`,
  field: (app: string, table: string, field: string) => `${paths.fields(app, table)}/${e(field)}`,
  records: (app: string, table: string) => `${paths.table(app, table)}/records`,
  query: (app: string, table: string) => `${paths.table(app, table)}/records/query`,
  record: (app: string, table: string, id: number | string) => `${paths.records(app, table)}/${id}`,
  history: (app: string, table: string, id: number | string) => `${paths.record(app, table, id)}/history`,
  upload: (app: string, table: string, field: string) => `${paths.field(app, table, field)}/files`,
  file: (id: string) => `${V1}/files/${e(id)}`,
  recycleBin: (app: string) => `${V1}/apps/${e(app)}/recycle-bin`,
  restoreTable: (app: string, id: number) => `${V1}/apps/${e(app)}/recycle-bin/tables/${id}/restore`,
  restoreField: (app: string, table: string, id: number) =>
    `${paths.table(app, table)}/recycle-bin/fields/${id}/restore`,
  customerView: (app: string) => `${V1}/apps/${e(app)}/customer-view`,
  login: () => `${V1}/auth/login`,
  logout: () => `${V1}/auth/logout`,
  me: () => `${V1}/auth/me`,
}
