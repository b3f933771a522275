using System.ComponentModel;
using System.Globalization;

namespace ModelCsi.Core.Cache;

/// <summary>Lets configuration binding read <c>maxSize: 200Gi</c> into a <see cref="ByteSize"/>.</summary>
public sealed class ByteSizeConverter : TypeConverter
{
    public override bool CanConvertFrom(ITypeDescriptorContext? context, Type sourceType) =>
        sourceType == typeof(string) || base.CanConvertFrom(context, sourceType);

    public override object? ConvertFrom(ITypeDescriptorContext? context, CultureInfo? culture, object value) =>
        value is string text ? ByteSize.Parse(text) : base.ConvertFrom(context, culture, value);

    public override bool CanConvertTo(ITypeDescriptorContext? context, Type? destinationType) =>
        destinationType == typeof(string) || base.CanConvertTo(context, destinationType);

    public override object? ConvertTo(ITypeDescriptorContext? context, CultureInfo? culture, object? value, Type destinationType) =>
        destinationType == typeof(string) && value is ByteSize size ? size.ToString() : base.ConvertTo(context, culture, value, destinationType);
}
