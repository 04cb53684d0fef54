using System.Text.Json.Serialization;

namespace OrleansSync.Gateway.Publishing;

/// <summary>Body of every HTTP error: a stable code and a human message.</summary>
public sealed record ErrorBody(string Error, string Message);

/// <summary>Answer of the publish API.</summary>
public sealed record PublishResponse(string EventId, int Sessions);

/// <summary>Source-generated JSON for the gateway's HTTP bodies (snake_case, as the protocol is).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(ErrorBody))]
[JsonSerializable(typeof(PublishResponse))]
public sealed partial class GatewayJsonContext : JsonSerializerContext;
