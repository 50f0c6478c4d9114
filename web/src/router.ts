import { createRouter, createWebHistory } from 'vue-router'
import { useAuth } from '@/stores/auth'
import { loadTexts } from '@/i18n'

export const router = createRouter({
  history: createWebHistory('/'),
  routes: [
    { path: '/sign-in', name: 'sign-in', component: () => import('@/pages/SignIn.vue'), meta: { public: true } },
    // A published form for anybody (issue 19): outside the app shell, no sign-in, and nothing of
    // the app asked for (``bare``: not even who is signed in).
    { path: '/f/:token', name: 'public-form', component: () => import('@/publicform/PublicFormPage.vue'), meta: { public: true, bare: true, texts: ['publicform'] } },
    // A dashboard in TV mode (issue 18): full screen, outside the menus and the top bar.
    { path: '/apps/:app/dashboards/:id(\\d+)/tv', name: 'dashboard-tv', component: () => import('@/pages/DashboardTv.vue'), meta: { texts: ['reports'] } },
    {
      path: '/',
      component: () => import('@/layouts/MainLayout.vue'),
      children: [
        { path: '', name: 'home', component: () => import('@/pages/AppList.vue') },
        { path: 'apps/:app', name: 'app', component: () => import('@/pages/AppHome.vue') },
        { path: 'apps/:app/recycle-bin', name: 'recycle-bin', component: () => import('@/pages/RecycleBin.vue') },
        // Processes (issue 16): the list with versions, and the designer (key "new" for a new one).
        { path: 'apps/:app/processes', name: 'processes', component: () => import('@/pages/ProcessList.vue'), meta: { texts: ['process'] } },
        { path: 'apps/:app/processes/:key/design', name: 'process-designer', component: () => import('@/pages/ProcessDesigner.vue'), meta: { texts: ['process'] } },
        // Automations (issue 17): the app's rules, and one rule's editor with its run log, test and forecast.
        { path: 'apps/:app/rules', name: 'rules', component: () => import('@/pages/RuleList.vue'), meta: { texts: ['rules'] } },
        { path: 'apps/:app/rules/new', name: 'rule-new', component: () => import('@/pages/RuleEditor.vue'), meta: { texts: ['rules'] } },
        { path: 'apps/:app/rules/:id(\\d+)', name: 'rule', component: () => import('@/pages/RuleEditor.vue'), meta: { texts: ['rules'] } },
        // Dashboards (issue 18): the app's dashboards, and one dashboard (?edit=1: the builder).
        { path: 'apps/:app/dashboards', name: 'dashboards', component: () => import('@/pages/DashboardList.vue'), meta: { texts: ['reports'] } },
        { path: 'apps/:app/dashboards/:id(\\d+)', name: 'dashboard', component: () => import('@/pages/DashboardPage.vue'), meta: { texts: ['reports'] } },
        // KPIs and alerts (issue 18): the KPI library with each KPI's mapping onto the app, the app's
        // alerts, and one alert's editor with its check log (the link of an alert's notification).
        { path: 'apps/:app/kpis', name: 'kpis', component: () => import('@/pages/KpiLibrary.vue'), meta: { texts: ['reports'] } },
        { path: 'apps/:app/alerts', name: 'alerts', component: () => import('@/pages/AlertList.vue'), meta: { texts: ['reports'] } },
        { path: 'apps/:app/alerts/new', name: 'alert-new', component: () => import('@/pages/AlertEditor.vue'), meta: { texts: ['reports', 'rules'] } },
        { path: 'apps/:app/alerts/:id(\\d+)', name: 'alert', component: () => import('@/pages/AlertEditor.vue'), meta: { texts: ['reports', 'rules'] } },
        { path: 'apps/:app/segments', name: 'segments', component: () => import('@/insight/segments/SegmentList.vue'), meta: { texts: ['segments'] } },
        { path: 'apps/:app/segments/new', name: 'segment-new', component: () => import('@/insight/segments/SegmentEditor.vue'), meta: { texts: ['segments'] } },
        { path: 'apps/:app/segments/:id(\\d+)/edit', name: 'segment-edit', component: () => import('@/insight/segments/SegmentEditor.vue'), meta: { texts: ['segments'] } },
        { path: 'apps/:app/segments/:id(\\d+)', name: 'segment', component: () => import('@/insight/segments/SegmentPage.vue'), meta: { texts: ['segments'] } },
        // Health score models (issue 22): the list and one model's editor with its preview.
        { path: 'apps/:app/score-models', name: 'score-models', component: () => import('@/insight/ScoreModels.vue'), meta: { texts: ['scores'] } },
        { path: 'apps/:app/customer-view', name: 'customer-view-settings', component: () => import('@/pages/CustomerViewSettings.vue') },
        // Tags (issue 22): the app's tag vocabulary.
        { path: 'apps/:app/tags', name: 'tags', component: () => import('@/insight/TagsAdmin.vue') },
        { path: 'apps/:app/tables/:table', name: 'records', component: () => import('@/pages/RecordsGrid.vue') },
        // Record import (issue 21): upload, column mapping, dry run, the run with its progress (?job=<id>).
        { path: 'apps/:app/tables/:table/import', name: 'records-import', component: () => import('@/imports/ImportWizard.vue'), meta: { texts: ['imports'] } },
        // One-ID (issue 21): the duplicates review queue (?status=later|not_same|merged), and the
        // table's duplicate rules with "find duplicates".
        { path: 'apps/:app/tables/:table/duplicates', name: 'duplicates', component: () => import('@/identity/DuplicatesQueue.vue'), meta: { texts: ['identity'] } },
        { path: 'apps/:app/tables/:table/duplicate-rules', name: 'duplicate-rules', component: () => import('@/identity/DuplicateRules.vue'), meta: { texts: ['identity'] } },
        { path: 'apps/:app/tables/:table/recycle-bin', name: 'record-bin', component: () => import('@/pages/TableRecycleBin.vue') },
        { path: 'apps/:app/tables/:table/indexes', name: 'table-indexes', component: () => import('@/pages/TableIndexes.vue'), meta: { texts: ['indexes'], admin: true } },
        { path: 'apps/:app/tables/:table/design', name: 'designer', component: () => import('@/pages/FormDesigner.vue'), meta: { texts: ['rules', 'forms', 'publicform'] } },
        { path: 'apps/:app/tables/:table/records/new', name: 'record-new', component: () => import('@/pages/RecordPage.vue'), meta: { texts: ['tasks', 'identity'] } },
        { path: 'apps/:app/tables/:table/records/:id', name: 'record', component: () => import('@/pages/RecordPage.vue'), meta: { texts: ['tasks', 'identity'] } },
        { path: 'apps/:app/tables/:table/records/:id/360', name: 'customer-360', component: () => import('@/pages/Customer360.vue'), meta: { texts: ['c360'] } },
        // Screen pop (issue 22): /call?phone=<caller number> opens the caller's 360° page.
        { path: 'call', name: 'call', component: () => import('@/pages/CallPop.vue'), meta: { texts: ['c360'] } },
        // The task inbox, a task, a process instance (issue 16).
        { path: 'tasks', name: 'tasks', component: () => import('@/pages/TaskInbox.vue'), meta: { texts: ['tasks'] } },
        { path: 'tasks/:id(\\d+)', name: 'task', component: () => import('@/pages/TaskPage.vue'), meta: { texts: ['tasks'] } },
        { path: 'process-instances/:id(\\d+)', name: 'process-instance', component: () => import('@/pages/ProcessInstancePage.vue'), meta: { texts: ['tasks'] } },
        { path: 'admin', redirect: '/admin/users' },
        { path: 'admin/users', name: 'admin-users', component: () => import('@/pages/admin/UsersAdmin.vue'), meta: { admin: true } },
        { path: 'admin/departments', name: 'admin-departments', component: () => import('@/pages/admin/DepartmentsAdmin.vue'), meta: { admin: true } },
        { path: 'admin/roles', name: 'admin-roles', component: () => import('@/pages/admin/RolesAdmin.vue'), meta: { admin: true } },
        { path: 'admin/tokens', name: 'admin-tokens', component: () => import('@/pages/admin/TokensAdmin.vue'), meta: { admin: true } },
        { path: 'admin/audit', name: 'admin-audit', component: () => import('@/pages/admin/AuditAdmin.vue'), meta: { admin: true } },
        // Process administration (issue 16): running instances across apps, the working calendar.
        { path: 'admin/processes', name: 'admin-processes', component: () => import('@/pages/admin/ProcessesAdmin.vue'), meta: { texts: ['procadmin'], admin: true } },
        { path: 'admin/calendar', name: 'admin-calendar', component: () => import('@/pages/admin/WorkCalendarAdmin.vue'), meta: { texts: ['procadmin'], admin: true } },
        // Channels and deliveries (issue 17): outside channels' configs, what went out, replay.
        { path: 'admin/channels', name: 'admin-channels', component: () => import('@/pages/admin/ChannelsAdmin.vue'), meta: { texts: ['channels', 'im'], admin: true } },
        { path: 'admin/deliveries', name: 'admin-deliveries', component: () => import('@/pages/admin/DeliveriesAdmin.vue'), meta: { texts: ['channels'], admin: true } },
        { path: ':pathMatch(.*)*', name: 'not-found', component: () => import('@/pages/NotFound.vue') },
      ],
    },
  ],
})

router.beforeEach(async (to) => {
  if (to.meta.bare) return true
  const auth = useAuth()
  if (auth.mode === 'unknown') {
    try {
      await auth.load()
    } catch {
      // The API is unreachable: pages show their own errors.
    }
  }
  if (to.meta.public) return true
  if (auth.mode === 'session' && !auth.user) return { name: 'sign-in', query: { next: to.fullPath } }
  // Administration is for administrators only (the API refuses the rest anyway).
  if (to.meta.admin && !auth.user?.is_admin) return { name: 'home' }
  return true
})

// The texts of the areas a page uses (meta.texts) load with it (see i18n/index.ts).
router.beforeResolve(async (to) => {
  const areas = to.matched.flatMap((r) => (r.meta.texts as string[] | undefined) ?? [])
  if (areas.length) await loadTexts(areas)
})
