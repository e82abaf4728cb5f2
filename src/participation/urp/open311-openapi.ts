import { ADDRESS_MAX, TEXT_MAX, TEXT_MIN, URP_KINDS, URP_TOPICS } from './model.ts';

const json = (schema: object, description: string) => ({
  description,
  content: { 'application/json': { schema } },
});
const error = (description: string) => json({ $ref: '#/components/schemas/Errors' }, description);
const jurisdiction = {
  name: 'jurisdiction_id',
  in: 'query',
  required: false,
  description: "An approved body's IPA code; none: the URP decides",
  schema: { type: 'string', pattern: '^[a-z0-9_]{2,32}$' },
};
const serviceCodePattern = `^(${URP_KINDS.join('|')})\\.(${URP_TOPICS.join('|')})$`;

/** The OpenAPI 3.1 document of the desk's Open311 GeoReport v2 endpoints, served beside them. */
export function open311OpenApi(publicUrl: string) {
  return {
    openapi: '3.1.0',
    info: {
      title: 'Varco URP desk: Open311 GeoReport v2',
      version: '2.0.0',
      description:
        'GeoReport v2 (http://wiki.open311.org/GeoReport_v2), JSON only. Services are the request kinds ' +
        'times the topics (`report.roads`). Apps post with an `api_key` issued by the network admins; every ' +
        'request needs the e-mail address of the person it is for, and is filed only once they follow the ' +
        'link mailed to it: the answer is a `token`, and GET /tokens/{token}.json gives the request id once ' +
        'confirmed. Lists and single requests show reports only, with public fields: never the description, ' +
        'the address typed, the requester or the messages. Errors: the HTTP status and [{code, description}].',
    },
    servers: [{ url: new URL('/api/open311/v2', publicUrl).href }],
    paths: {
      '/discovery.json': {
        get: { summary: 'Discovery', responses: { 200: json({ type: 'object' }, 'Endpoints') } },
      },
      '/services.json': {
        get: {
          summary: 'The services: every kind × topic',
          parameters: [jurisdiction],
          responses: {
            200: json({ type: 'array', items: { $ref: '#/components/schemas/Service' } }, 'Services'),
            400: error('A bad parameter'),
            404: error('Unknown jurisdiction'),
          },
        },
      },
      '/services/{service_code}.json': {
        get: {
          summary: "A service's definition (no extra attributes)",
          parameters: [
            {
              name: 'service_code',
              in: 'path',
              required: true,
              schema: { type: 'string', pattern: serviceCodePattern },
            },
          ],
          responses: { 200: json({ type: 'object' }, 'Definition'), 404: error('Unknown service') },
        },
      },
      '/requests.json': {
        get: {
          summary: 'Public reports, newest first (at most 1000; default the last 90 days)',
          parameters: [
            jurisdiction,
            {
              name: 'service_request_id',
              in: 'query',
              schema: { type: 'string' },
              description: 'Comma list, ≤ 100',
            },
            { name: 'service_code', in: 'query', schema: { type: 'string', pattern: serviceCodePattern } },
            { name: 'start_date', in: 'query', schema: { type: 'string', format: 'date-time' } },
            { name: 'end_date', in: 'query', schema: { type: 'string', format: 'date-time' } },
            { name: 'status', in: 'query', schema: { enum: ['open', 'closed'] } },
          ],
          responses: {
            200: json({ type: 'array', items: { $ref: '#/components/schemas/Request' } }, 'Reports'),
            400: error('A bad parameter'),
            404: error('Unknown jurisdiction'),
          },
        },
        post: {
          summary: 'File a request for a person, confirmed by them through a mailed link',
          requestBody: {
            required: true,
            content: {
              'application/x-www-form-urlencoded': { schema: { $ref: '#/components/schemas/NewRequest' } },
              'application/json': { schema: { $ref: '#/components/schemas/NewRequest' } },
            },
          },
          responses: {
            201: json(
              {
                type: 'array',
                items: {
                  type: 'object',
                  properties: { token: { type: 'string' }, service_notice: { type: 'string' } },
                },
              },
              'Waiting for confirmation',
            ),
            400: error('A bad parameter'),
            403: error('Unknown api_key'),
            404: error('Unknown jurisdiction'),
            429: error('Too many requests'),
          },
        },
      },
      '/requests/{service_request_id}.json': {
        get: {
          summary: 'One public report',
          parameters: [
            {
              name: 'service_request_id',
              in: 'path',
              required: true,
              schema: { type: 'string', pattern: '^URP-\\d{4}-\\d{6,9}$' },
            },
          ],
          responses: {
            200: json({ type: 'array', items: { $ref: '#/components/schemas/Request' } }, 'The report'),
            404: error('Not a public report'),
          },
        },
      },
      '/tokens/{token}.json': {
        get: {
          summary: "A posted request's id, once its requester confirmed it",
          parameters: [
            {
              name: 'token',
              in: 'path',
              required: true,
              schema: { type: 'string', pattern: '^[0-9a-f]{32}$' },
            },
          ],
          responses: {
            200: json(
              {
                type: 'array',
                items: {
                  type: 'object',
                  properties: { token: { type: 'string' }, service_request_id: { type: 'string' } },
                },
              },
              'The token, with the id once confirmed',
            ),
            404: error('Unknown token'),
          },
        },
      },
    },
    components: {
      schemas: {
        Errors: {
          type: 'array',
          items: {
            type: 'object',
            required: ['code', 'description'],
            properties: { code: { type: 'integer' }, description: { type: 'string' } },
          },
        },
        Service: {
          type: 'object',
          properties: {
            service_code: { type: 'string' },
            service_name: { type: 'string' },
            description: { type: 'string' },
            metadata: { const: false },
            type: { const: 'realtime' },
            keywords: { type: 'string' },
            group: { type: 'string' },
          },
        },
        NewRequest: {
          type: 'object',
          required: ['api_key', 'service_code', 'description', 'email'],
          properties: {
            api_key: { type: 'string' },
            jurisdiction_id: { type: 'string', pattern: '^[a-z0-9_]{2,32}$' },
            service_code: { type: 'string', pattern: serviceCodePattern },
            description: { type: 'string', minLength: TEXT_MIN, maxLength: TEXT_MAX },
            email: { type: 'string', format: 'email' },
            lat: { type: 'number' },
            long: { type: 'number' },
            address_string: { type: 'string', maxLength: ADDRESS_MAX },
            locale: { enum: ['it', 'en'] },
          },
        },
        Request: {
          type: 'object',
          properties: {
            service_request_id: { type: 'string' },
            status: { enum: ['open', 'closed'] },
            service_code: { type: 'string' },
            service_name: { type: 'string' },
            agency_responsible: { type: 'string' },
            requested_datetime: { type: 'string', format: 'date-time' },
            expected_datetime: { type: 'string', format: 'date-time' },
            updated_datetime: { type: 'string', format: 'date-time' },
            lat: { type: 'number' },
            long: { type: 'number' },
          },
        },
      },
    },
  };
}
