import { z } from 'zod';
import { bodyProfileSchema } from '../../catalog/body-profile.ts';
import { endpointInputSchema, endpointSchema } from '../../catalog/endpoint.ts';
import { bodySchema, serviceInputSchema, serviceSchema } from '../../catalog/model.ts';
import { deliveryClaimsSchema } from '../../procedures/delivery.schema.ts';
import { stepReportResultSchema, stepReportSchema } from '../../procedures/report.schema.ts';

/**
 * JSON Schema (draft 2020-12, the dialect OpenAPI 3.1 uses) of a zod schema — the same schema that
 * validates the requests, so the document cannot drift from the code. `io: 'input'` describes what a
 * client sends (defaults optional); refinements that JSON Schema cannot express (template
 * placeholders, declared domains) are described in the operation texts.
 */
const jsonSchema = (schema: z.ZodType, io: 'input' | 'output') => {
  const generated = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Record<string, unknown>;
  // The dialect is the document's own (OpenAPI 3.1 = JSON Schema 2020-12), not repeated per schema.
  delete generated.$schema;
  return generated;
};

const problem = {
  description: 'RFC 9457 problem details',
  content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
};

const serviceIdParameter = {
  name: 'serviceId',
  in: 'path',
  required: true,
  schema: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]{2,79}$' },
};

const serviceResponse = (description: string) => ({
  description,
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Service' } } },
});

const endpointIdParameter = {
  name: 'endpointId',
  in: 'path',
  required: true,
  schema: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]{1,63}$' },
};

const endpointResponse = (description: string) => ({
  description,
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Endpoint' } } },
});

const caseIdParameter = {
  name: 'caseId',
  in: 'path',
  required: true,
  description: 'The case id the delivery carried (claim `case`)',
  schema: { type: 'string', pattern: '^[0-9A-Z]{16}$' },
};

const stepIdParameter = {
  name: 'stepId',
  in: 'path',
  required: true,
  description: "The step's id within its procedure (the delivery's `reportUrl` names it)",
  schema: { type: 'string', pattern: '^[a-z][a-z0-9-]{0,47}$' },
};

const errors = { 400: problem, 401: problem, 403: problem, 404: problem, 422: problem, 429: problem };

/** The OpenAPI 3.1 document of the registration API, served at /api/v1/openapi.json. */
export function openApiDocument(publicUrl: string) {
  return {
    openapi: '3.1.0',
    info: {
      title: 'Varco registration API',
      version: '1.0.0',
      description:
        'Bodies of the network register and maintain their services and the endpoints where the ' +
        'gateway delivers procedure steps. Authenticate with the credential ' +
        'issued on approval: `Authorization: Bearer <clientId>.<secret>`. A body reads and changes only ' +
        'its own data. Deep links must use https (http only in demo mode) and point to one of the ' +
        "body's declared domains; templates may use only {fiscalCode}, {name}, {familyName}, " +
        '{dateOfBirth}, {email} and {lang}, in the path or query. ' +
        'Procedure steps reach an endpoint as an HTTPS POST whose body is a JWT (application/jwt, ES256, ' +
        "typ varco-delivery+jwt, aud the body's IPA code, jti equal to the Idempotency-Key header): verify " +
        "it with the gateway's keys at /.well-known/varco-delivery-keys.json and report the result in the " +
        'answer or later at /cases/{caseId}/steps/{stepId}/result.',
    },
    servers: [{ url: new URL('/api/v1', publicUrl).href }],
    security: [{ bodyCredential: [] }],
    paths: {
      '/body': {
        get: {
          summary: "The authenticated body's record",
          responses: {
            200: {
              description: 'The body',
              content: { 'application/json': { schema: { $ref: '#/components/schemas/Body' } } },
            },
            401: problem,
          },
        },
        put: {
          summary:
            "Replace the body's profile (names, kind, territory, contacts, logo, main office); idempotent. " +
            'The IPA code and the declared domains are set by the network (admin area).',
          requestBody: {
            required: true,
            content: { 'application/json': { schema: { $ref: '#/components/schemas/BodyProfile' } } },
          },
          responses: {
            200: {
              description: 'The body',
              content: { 'application/json': { schema: { $ref: '#/components/schemas/Body' } } },
            },
            ...errors,
          },
        },
      },
      '/services': {
        get: {
          summary: "The body's services, in every status",
          responses: {
            200: {
              description: 'The services',
              content: {
                'application/json': {
                  schema: {
                    type: 'object',
                    properties: {
                      services: { type: 'array', items: { $ref: '#/components/schemas/Service' } },
                    },
                  },
                },
              },
            },
            401: problem,
          },
        },
      },
      '/services/{serviceId}': {
        parameters: [serviceIdParameter],
        get: {
          summary: "One of the body's services",
          responses: { 200: serviceResponse('The service'), ...errors },
        },
        put: {
          summary: 'Create (as a draft) or replace a service; idempotent',
          requestBody: {
            required: true,
            content: { 'application/json': { schema: { $ref: '#/components/schemas/ServiceInput' } } },
          },
          responses: { 200: serviceResponse('Replaced'), 201: serviceResponse('Created'), ...errors },
        },
      },
      '/services/{serviceId}/publish': {
        parameters: [serviceIdParameter],
        post: {
          summary: 'Publish the service in the catalog',
          responses: { 200: serviceResponse('Published'), ...errors },
        },
      },
      '/services/{serviceId}/withdraw': {
        parameters: [serviceIdParameter],
        post: {
          summary: 'Withdraw the service from the catalog',
          responses: { 200: serviceResponse('Withdrawn'), ...errors },
        },
      },
      '/services/{serviceId}/sso/secret': {
        parameters: [serviceIdParameter],
        post: {
          summary:
            'Issue (or replace) the client_secret_basic secret of a single-sign-on service. The secret is ' +
            'returned once, never shown again; the previous one stops working at once. Prefer ' +
            'private_key_jwt, which needs no shared secret.',
          responses: {
            201: {
              description: 'The new secret (Cache-Control: no-store)',
              content: {
                'application/json': {
                  schema: {
                    type: 'object',
                    required: ['clientId', 'clientSecret'],
                    properties: { clientId: { type: 'string' }, clientSecret: { type: 'string' } },
                  },
                },
              },
            },
            409: problem,
            ...errors,
          },
        },
      },
      '/endpoints': {
        get: {
          summary: "The body's procedure endpoints, in every status",
          responses: {
            200: {
              description: 'The endpoints',
              content: {
                'application/json': {
                  schema: {
                    type: 'object',
                    properties: {
                      endpoints: { type: 'array', items: { $ref: '#/components/schemas/Endpoint' } },
                    },
                  },
                },
              },
            },
            401: problem,
          },
        },
      },
      '/endpoints/{endpointId}': {
        parameters: [endpointIdParameter],
        get: {
          summary: "One of the body's endpoints",
          responses: { 200: endpointResponse('The endpoint'), ...errors },
        },
        put: {
          summary:
            'Create (active) or replace an endpoint where the gateway delivers procedure steps; idempotent. ' +
            "The URL must use https and one of the body's declared domains.",
          requestBody: {
            required: true,
            content: { 'application/json': { schema: { $ref: '#/components/schemas/EndpointInput' } } },
          },
          responses: { 200: endpointResponse('Replaced'), 201: endpointResponse('Created'), ...errors },
        },
      },
      '/endpoints/{endpointId}/disable': {
        parameters: [endpointIdParameter],
        post: {
          summary: 'Stop deliveries to the endpoint',
          responses: { 200: endpointResponse('Disabled'), ...errors },
        },
      },
      '/endpoints/{endpointId}/enable': {
        parameters: [endpointIdParameter],
        post: {
          summary: 'Resume deliveries to the endpoint',
          responses: { 200: endpointResponse('Enabled'), ...errors },
        },
      },
      '/cases/{caseId}/steps/{stepId}/result': {
        parameters: [caseIdParameter, stepIdParameter],
        post: {
          summary:
            "Report a procedure step delivered to one of the body's endpoints: accepted, completed (with " +
            'exactly the outputs the procedure declares for the step) or rejected (with a reason, shown to ' +
            'the citizen). The same report may also be the JSON answer to the delivery itself. A step only ' +
            'moves forward, so a duplicate or late report changes nothing (200, changed: false). Only the ' +
            "body handling the step may report it (403 for another body's step; 404 when the body has no " +
            'step in the case); 409 when the step has not been delivered yet.',
          requestBody: {
            required: true,
            content: { 'application/json': { schema: { $ref: '#/components/schemas/StepReport' } } },
          },
          responses: {
            200: {
              description: "The step's status after the report",
              content: { 'application/json': { schema: { $ref: '#/components/schemas/StepReportResult' } } },
            },
            409: problem,
            ...errors,
          },
        },
      },
    },
    webhooks: {
      delivery: {
        post: {
          summary: "A procedure step delivered to one of the body's registered endpoints",
          security: [],
          description:
            'The body is a JWT (ES256, header typ varco-delivery+jwt) whose claims are a Delivery ' +
            '(#/components/schemas/Delivery) plus iss ' +
            "(the gateway's public URL), aud (the body's IPA code), jti (equal to the Idempotency-Key " +
            'header, <case>.<step>), iat and exp (15 minutes). Verify it with the JWK Set at ' +
            '/.well-known/varco-delivery-keys.json, treat a repeated idempotency key as the same ' +
            'delivery, and answer 2xx: with a StepReport to report at once, or with an empty body and ' +
            'report later. 5xx, 408, 425 and 429 are retried with exponential back-off; other 4xx are final.',
          parameters: [{ name: 'Idempotency-Key', in: 'header', required: true, schema: { type: 'string' } }],
          requestBody: {
            required: true,
            content: {
              'application/jwt': {
                schema: { type: 'string', contentMediaType: 'application/jwt' },
              },
            },
          },
          responses: {
            200: {
              description: 'Received; the step report, or an empty body',
              content: { 'application/json': { schema: { $ref: '#/components/schemas/StepReport' } } },
            },
          },
        },
      },
    },
    components: {
      securitySchemes: {
        bodyCredential: { type: 'http', scheme: 'bearer', bearerFormat: '<clientId>.<secret>' },
      },
      schemas: {
        ServiceInput: jsonSchema(serviceInputSchema, 'input'),
        Service: jsonSchema(serviceSchema, 'output'),
        Body: jsonSchema(bodySchema, 'output'),
        BodyProfile: jsonSchema(bodyProfileSchema, 'input'),
        EndpointInput: jsonSchema(endpointInputSchema, 'input'),
        Endpoint: jsonSchema(endpointSchema, 'output'),
        StepReport: jsonSchema(stepReportSchema, 'input'),
        StepReportResult: jsonSchema(stepReportResultSchema, 'output'),
        Delivery: jsonSchema(deliveryClaimsSchema, 'output'),
        Problem: {
          type: 'object',
          properties: {
            type: { type: 'string' },
            title: { type: 'string' },
            status: { type: 'integer' },
            code: { type: 'string' },
            detail: { type: 'string' },
            instance: { type: 'string' },
          },
          required: ['type', 'title', 'status', 'code'],
        },
      },
    },
  };
}
