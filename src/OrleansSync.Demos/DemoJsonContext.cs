using System.Text.Json.Serialization;
using OrleansSync.Demos.Photos;

namespace OrleansSync.Demos;

/// <summary>Source-generated JSON of the demo APIs and events (camelCase, as browser apps expect).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(Photo))]
[JsonSerializable(typeof(AddPhotoRequest))]
[JsonSerializable(typeof(PhotoList))]
[JsonSerializable(typeof(PhotoAdded))]
[JsonSerializable(typeof(PhotoRemoved))]
[JsonSerializable(typeof(DemoError))]
public sealed partial class DemoJsonContext : JsonSerializerContext;
