// Every operation of the page, typed by code generation from ../schema.graphql. Each tab
// view is one request: its figures, the same figures for the previous window (`previous`),
// how they were computed (`meta`) and the filter choices (cities and specialties under ALL).

import { graphql } from "../generated";

export const MeQuery = graphql(`
  query Me {
    me {
      id
      email
      fullName
      role
    }
  }
`);

graphql(`
  fragment Meta on StatsMeta {
    asOf
    from
    to
    timezone
    computedAt
    cacheHit
    stale
  }
`);

graphql(`
  fragment Choices on Query {
    choices: globalStatistics(filter: { period: ALL }) {
      requests {
        byCity {
          key
          total
        }
        bySpecialty {
          key
          total
        }
      }
    }
  }
`);

graphql(`
  fragment Point on TrendPoint {
    bucketStart
    requests
    completed
    revenue
    newUsers
  }
`);

export const OverviewTab = graphql(`
  query OverviewTab($filter: StatsFilter) {
    ...Choices
    stats: globalStatistics(filter: $filter) {
      overview {
        totalUsers
        activeUsers30d
        newUsers30d
        totalRequests
        totalRevenue
        avgRating
      }
      requests {
        successRate
      }
      advanced {
        conversionRate
        retentionRate
        churnRate
      }
      trends {
        daily {
          ...Point
        }
      }
      meta {
        ...Meta
      }
      previous {
        overview {
          totalUsers
          activeUsers30d
          newUsers30d
          totalRequests
          totalRevenue
          avgRating
        }
        requests {
          successRate
        }
        advanced {
          conversionRate
          retentionRate
          churnRate
        }
      }
    }
  }
`);

export const RequestsTab = graphql(`
  query RequestsTab($filter: StatsFilter) {
    ...Choices
    stats: globalStatistics(filter: $filter) {
      requests {
        total
        pending
        inProgress
        completed
        cancelled
        urgent
        successRate
        avgResponseTimeHours
        avgCompletionTimeHours
        bySpecialty {
          key
          total
          completed
          successRate
        }
        byCity {
          key
          total
          completed
          successRate
        }
      }
      meta {
        ...Meta
      }
      previous {
        requests {
          total
          pending
          inProgress
          completed
          cancelled
          urgent
          successRate
          avgResponseTimeHours
          avgCompletionTimeHours
        }
      }
    }
  }
`);

export const FinancialTab = graphql(`
  query FinancialTab($filter: StatsFilter) {
    ...Choices
    stats: globalStatistics(filter: $filter) {
      financial {
        totalRevenue
        technicianPayouts
        platformFees
        avgRequestValue
        paymentSuccessRate
        refundedAmount
        paymentMethods {
          method
          count
          total
        }
      }
      trends {
        monthly {
          ...Point
        }
      }
      meta {
        ...Meta
      }
      previous {
        financial {
          totalRevenue
          technicianPayouts
          platformFees
          avgRequestValue
          paymentSuccessRate
          refundedAmount
        }
      }
    }
  }
`);

export const SatisfactionTab = graphql(`
  query SatisfactionTab($filter: StatsFilter) {
    ...Choices
    stats: globalStatistics(filter: $filter) {
      satisfaction {
        totalReviews
        avgRating
        satisfactionRate
        recommendationRate
        ratingDistribution {
          rating
          count
        }
      }
      meta {
        ...Meta
      }
      previous {
        satisfaction {
          totalReviews
          avgRating
          satisfactionRate
          recommendationRate
        }
      }
    }
  }
`);

export const TechniciansTab = graphql(`
  query TechniciansTab($filter: StatsFilter) {
    ...Choices
    stats: globalStatistics(filter: $filter) {
      technicians {
        total
        verified
        available
        avgRating
        topTechnicians(limit: 10, minReviews: 1) {
          technicianId
          name
          specialty
          city
          avgRating
          reviews
          completedRequests
          revenue
        }
      }
      meta {
        ...Meta
      }
      previous {
        technicians {
          total
          verified
          available
          avgRating
        }
      }
    }
  }
`);

export const SecurityTab = graphql(`
  query SecurityTab($filter: StatsFilter) {
    ...Choices
    stats: globalStatistics(filter: $filter) {
      security {
        totalLogins
        failedLogins
        loginSuccessRate
        securityAlerts
        suspiciousIps(limit: 10) {
          ipAddress
          failed
          lastSeen
        }
      }
      meta {
        ...Meta
      }
      previous {
        security {
          totalLogins
          failedLogins
          loginSuccessRate
          securityAlerts
        }
      }
    }
  }
`);

export const TrendsTab = graphql(`
  query TrendsTab($filter: StatsFilter) {
    ...Choices
    stats: globalStatistics(filter: $filter) {
      trends {
        daily {
          ...Point
        }
        weekly {
          ...Point
        }
        monthly {
          ...Point
        }
      }
      meta {
        ...Meta
      }
    }
  }
`);

export const LiveStats = graphql(`
  subscription LiveStats($interval: Int!) {
    liveStats(intervalSeconds: $interval) {
      asOf
      computedAt
      stale
      onlineUsers
      activeTechnicians
      openRequests
      last24h {
        newRequests
        completedRequests
        revenue
        failedLogins
      }
    }
  }
`);

graphql(`
  fragment AlertItem on Alert {
    id
    alertType
    severity
    title
    message
    isActive
    triggeredAt
    acknowledgedAt
    lastSeenAt
  }
`);

export const AlertsQuery = graphql(`
  query Alerts($active: Boolean) {
    alerts(filter: { active: $active }, first: 50) {
      nodes {
        ...AlertItem
      }
    }
  }
`);

export const AlertRaised = graphql(`
  subscription AlertRaised {
    alertRaised(minSeverity: INFO) {
      ...AlertItem
    }
  }
`);

export const AcknowledgeAlert = graphql(`
  mutation AcknowledgeAlert($id: ID!) {
    acknowledgeAlert(id: $id) {
      ...AlertItem
    }
  }
`);

export const ResolveAlert = graphql(`
  mutation ResolveAlert($id: ID!) {
    resolveAlert(id: $id) {
      ...AlertItem
    }
  }
`);

graphql(`
  fragment ExportItem on StatisticsExport {
    id
    format
    status
    fileName
    sizeBytes
    error
    requestedAt
    completedAt
    downloadUrl
  }
`);

export const ExportsQuery = graphql(`
  query Exports {
    exports(first: 10) {
      nodes {
        ...ExportItem
      }
    }
  }
`);

export const RequestExport = graphql(`
  mutation RequestExport($input: ExportInput!) {
    requestExport(input: $input) {
      ...ExportItem
    }
  }
`);

export const ExportProgress = graphql(`
  subscription ExportProgress($id: ID!) {
    exportProgress(id: $id) {
      ...ExportItem
    }
  }
`);

graphql(`
  fragment WidgetItem on Widget {
    id
    title
    widgetType
    dataSource
    x
    y
    w
    h
    config
  }
`);

export const DashboardsQuery = graphql(`
  query Dashboards($filter: StatsFilter) {
    dashboards {
      id
      name
      isDefault
      widgets {
        ...WidgetItem
        data(filter: $filter)
      }
    }
    metricCatalog {
      path
      type
      unit
      description
      descriptionEn
    }
  }
`);

export const AddWidget = graphql(`
  mutation AddWidget($dashboardId: ID!, $input: WidgetInput!) {
    addWidget(dashboardId: $dashboardId, input: $input) {
      ...WidgetItem
    }
  }
`);

export const UpdateWidget = graphql(`
  mutation UpdateWidget($id: ID!, $input: WidgetInput!) {
    updateWidget(id: $id, input: $input) {
      ...WidgetItem
    }
  }
`);

export const RemoveWidget = graphql(`
  mutation RemoveWidget($id: ID!) {
    removeWidget(id: $id)
  }
`);
