<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
<context>
    <name>Bundled</name>
    <message>
        <source>sine</source>
        <translation>正弦</translation>
    </message>
    <message>
        <source>binary-addition</source>
        <translation>二进制加法</translation>
    </message>
    <message>
        <source>digits</source>
        <translation>手写数字</translation>
    </message>
    <message>
        <source>brackets</source>
        <translation>括号深度</translation>
    </message>
    <message>
        <source>adding</source>
        <translation>加法问题</translation>
    </message>
    <message>
        <source>text</source>
        <translation>文本</translation>
    </message>
    <message>
        <source>{steps} steps</source>
        <translation>{steps} 步</translation>
    </message>
    <message>
        <source>LSTM(32) on the adding problem over {steps} steps</source>
        <translation>LSTM(32) 求解 {steps} 步的加法问题</translation>
    </message>
    <message>
        <source>GRU(32) on the adding problem over {steps} steps</source>
        <translation>GRU(32) 求解 {steps} 步的加法问题</translation>
    </message>
    <message>
        <source>plain tanh RNN(32) on the adding problem over {steps} steps: its gradient vanishes long before the first marker</source>
        <translation>普通 tanh RNN(32) 求解 {steps} 步的加法问题：梯度远在第一个标记之前就已消失</translation>
    </message>
    <message>
        <source>{task}, {variant}</source>
        <translation>{task}，{variant}</translation>
    </message>
    <message>
        <source>{task}: {cell}</source>
        <translation>{task}：{cell}</translation>
    </message>
    <message>
        <source>LSTM(32) predicting sin(x) one step ahead; rolls the wave out</source>
        <translation>LSTM(32) 预测 sin(x) 的下一步；可自回归延续波形</translation>
    </message>
    <message>
        <source>GRU(32) predicting sin(x) one step ahead</source>
        <translation>GRU(32) 预测 sin(x) 的下一步</translation>
    </message>
    <message>
        <source>plain tanh RNN(32) predicting sin(x), as in the seed notes&apos; demo</source>
        <translation>普通 tanh RNN(32) 预测 sin(x)，即讲义中的演示</translation>
    </message>
    <message>
        <source>LSTM(16) adding two 8-bit numbers; one unit keeps the carry</source>
        <translation>LSTM(16) 逐位相加两个 8 位二进制数；由一个单元保存进位</translation>
    </message>
    <message>
        <source>GRU(16) adding two 8-bit numbers bit by bit</source>
        <translation>GRU(16) 逐位相加两个 8 位二进制数</translation>
    </message>
    <message>
        <source>plain tanh RNN(16) adding two 8-bit numbers bit by bit</source>
        <translation>普通 tanh RNN(16) 逐位相加两个 8 位二进制数</translation>
    </message>
    <message>
        <source>LSTM(64) reading 8x8 handwritten digits row by row</source>
        <translation>LSTM(64) 逐行读取 8×8 手写数字</translation>
    </message>
    <message>
        <source>GRU(64) reading 8x8 handwritten digits row by row</source>
        <translation>GRU(64) 逐行读取 8×8 手写数字</translation>
    </message>
    <message>
        <source>plain tanh RNN(64) reading 8x8 handwritten digits row by row</source>
        <translation>普通 tanh RNN(64) 逐行读取 8×8 手写数字</translation>
    </message>
    <message>
        <source>LSTM(16) counting bracket depth: watch the counting cell</source>
        <translation>LSTM(16) 计数括号深度：请观察计数记忆元</translation>
    </message>
    <message>
        <source>GRU(16) counting bracket depth</source>
        <translation>GRU(16) 计数括号深度</translation>
    </message>
    <message>
        <source>plain tanh RNN(16) counting bracket depth</source>
        <translation>普通 tanh RNN(16) 计数括号深度</translation>
    </message>
    <message>
        <source>LSTM(32) on the adding problem: the input gate opens at the markers</source>
        <translation>LSTM(32) 求解加法问题：输入门在标记处打开</translation>
    </message>
    <message>
        <source>GRU(32) on the adding problem</source>
        <translation>GRU(32) 求解加法问题</translation>
    </message>
    <message>
        <source>plain tanh RNN(32) on the adding problem</source>
        <translation>普通 tanh RNN(32) 求解加法问题</translation>
    </message>
    <message>
        <source>LSTM(128) character model of Python source: quote, indentation and bracket cells</source>
        <translation>LSTM(128) Python 源代码字符模型：有跟踪引号、缩进和括号的记忆元</translation>
    </message>
    <message>
        <source>GRU(128) character model of Python source</source>
        <translation>GRU(128) Python 源代码字符模型</translation>
    </message>
    <message>
        <source>plain tanh RNN(128) character model of Python source</source>
        <translation>普通 tanh RNN(128) Python 源代码字符模型</translation>
    </message>
    <message>
        <source>LSTM(64) character model of sums and dates in Chinese numerals (三十五加十二等于四十七。): a cell holds &apos;inside the answer&apos; from 等于 to 。</source>
        <translation>LSTM(64) 中文数字算式与日期的字符模型（三十五加十二等于四十七。）：有一个记忆元从“等于”到“。”一直记着“正在写答案”</translation>
    </message>
    <message>
        <source>GRU(64) character model of sums and dates in Chinese numerals</source>
        <translation>GRU(64) 中文数字算式与日期的字符模型</translation>
    </message>
    <message>
        <source>plain tanh RNN(64) character model of sums and dates in Chinese numerals</source>
        <translation>普通 tanh RNN(64) 中文数字算式与日期的字符模型</translation>
    </message>
    <message>
        <source>Chinese numerals</source>
        <translation>中文数字</translation>
    </message>
</context>
<context>
    <name>CoreErrors</name>
    <message>
        <source>Shift-JIS (Japanese)</source>
        <translation>Shift-JIS（日文）</translation>
    </message>
    <message>
        <source>GB18030/GBK (Simplified Chinese)</source>
        <translation>GB18030/GBK（简体中文）</translation>
    </message>
    <message>
        <source>Big5 (Traditional Chinese)</source>
        <translation>Big5（繁体中文）</translation>
    </message>
    <message>
        <source>{name} starts with a UTF-16 byte-order mark but is not valid UTF-16; save it as UTF-8 and train on that</source>
        <translation>{name} 以 UTF-16 字节顺序标记开头，但不是有效的 UTF-16 文本；请另存为 UTF-8 后再训练</translation>
    </message>
    <message>
        <source>byte 0x{byte} at offset {offset} is not valid UTF-8</source>
        <translation>偏移 {offset} 处的字节 0x{byte} 不是有效的 UTF-8</translation>
    </message>
    <message>
        <source>{name} is not UTF-8 text ({bad}); it looks like {guess}. Save it as UTF-8 (e.g. iconv -f {source} -t UTF-8 {name} &gt; utf8.txt) and train on that</source>
        <translation>{name} 不是 UTF-8 文本（{bad}）；它看起来是 {guess} 编码。请另存为 UTF-8（例如 iconv -f {source} -t UTF-8 {name} &gt; utf8.txt）后再训练</translation>
    </message>
    <message>
        <source>a Western single-byte encoding (Latin-1 or Windows-1252)</source>
        <translation>西文单字节编码（Latin-1 或 Windows-1252）</translation>
    </message>
    <message>
        <source>{path} holds only {n} characters; a character model needs at least 2000 (a few pages of text)</source>
        <translation>{path} 只有 {n} 个字符；字符模型至少需要 2000 个字符（几页文字）</translation>
    </message>
    <message>
        <source>this model reads {n} numeric feature(s) per step, not text; give a .npy or .csv sequence</source>
        <translation>这个模型每步读入 {n} 个数值特征，而不是文本；请提供 .npy 或 .csv 序列</translation>
    </message>
    <message>
        <source>the text is empty; type at least one character</source>
        <translation>文本为空；请至少输入一个字符</translation>
    </message>
    <message>
        <source>the sequence is empty; give at least one token</source>
        <translation>序列为空；请至少提供一个词元</translation>
    </message>
    <message>
        <source>this text model takes a string or integer token ids of shape (T,) or (N, T); got {dtype} array of shape {shape}</source>
        <translation>这个文本模型接受字符串，或形状为 (T,) 或 (N, T) 的整数词元编号；收到的是形状为 {shape} 的 {dtype} 数组</translation>
    </message>
    <message>
        <source>token ids must lie in 0..{last} (the vocabulary size is {size}); found {lo}..{hi}</source>
        <translation>词元编号必须在 0..{last} 之间（词表大小为 {size}）；实际为 {lo}..{hi}</translation>
    </message>
    <message>
        <source>the sequence is not numeric; give numbers of shape (T, features)</source>
        <translation>序列不是数值；请提供形状为 (T, 特征数) 的数字</translation>
    </message>
    <message>
        <source>the model expects {n} features per step but the sequence is 1-D (one value per step); give an array of shape (T, {n})</source>
        <translation>模型每步需要 {n} 个特征，但序列是一维的（每步一个值）；请提供形状为 (T, {n}) 的数组</translation>
    </message>
    <message>
        <source>a sequence has shape (T, features) or (N, T, features); got shape {shape}</source>
        <translation>序列的形状应为 (T, 特征数) 或 (N, T, 特征数)；收到的形状为 {shape}</translation>
    </message>
    <message>
        <source>the sequence is empty (0 steps); give at least one step</source>
        <translation>序列为空（0 步）；请至少提供一步</translation>
    </message>
    <message>
        <source>the model expects {n} feature(s) per step but the sequence has {got}; give an array of shape (T, {n})</source>
        <translation>模型每步需要 {n} 个特征，但序列有 {got} 个；请提供形状为 (T, {n}) 的数组</translation>
    </message>
    <message>
        <source>the sequence contains {kind} at {where} ({count} non-finite value(s)); replace them with finite numbers</source>
        <translation>序列在{where}处含有 {kind}（共 {count} 个非有限值）；请替换为有限的数</translation>
    </message>
    <message>
        <source>step {t}, feature {f}</source>
        <translation>第 {t} 步第 {f} 个特征</translation>
    </message>
    <message>
        <source>step {t}, feature {f}, sequence {n}</source>
        <translation>第 {n} 个序列第 {t} 步第 {f} 个特征</translation>
    </message>
    <message>
        <source>cannot read the intervention {spec}; write layer{{k}}.{{direction}}.{{quantity}}[{{units}}]={{value}}@{{steps}}, e.g. layer0.forward.forget_gate[8]=0@10: (units 8, 3,5,8, 8-11 or *; value 0.5, *0.5 or +0.2; steps 10:, :20, 10:20 or 15)</source>
        <translation>无法读取干预 {spec}；请写成 layer{{k}}.{{direction}}.{{quantity}}[{{units}}]={{value}}@{{steps}}，例如 layer0.forward.forget_gate[8]=0@10:（单元写 8、3,5,8、8-11 或 *；值写 0.5、*0.5 或 +0.2；时间步写 10:、:20、10:20 或 15）</translation>
    </message>
    <message>
        <source>{spec}: the direction is forward or backward, not {direction}</source>
        <translation>{spec}：方向只能是 forward（正向）或 backward（反向），不能是 {direction}</translation>
    </message>
    <message>
        <source>{spec}: {quantity} is not a trace quantity; choose one of {known}</source>
        <translation>{spec}：{quantity} 不是轨迹中的量；请从以下选择：{known}</translation>
    </message>
    <message>
        <source>{spec}: layer {layer} does not exist; the model has layers 0..{last}</source>
        <translation>{spec}：第 {layer} 层不存在；模型只有第 0..{last} 层</translation>
    </message>
    <message>
        <source>{spec}: layer {layer} has no {direction} direction; it has {names}</source>
        <translation>{spec}：第 {layer} 层没有 {direction} 方向；它只有 {names}</translation>
    </message>
    <message>
        <source>an {cell}</source>
        <translation>{cell}</translation>
    </message>
    <message>
        <source>a {cell}</source>
        <translation>{cell}</translation>
    </message>
    <message>
        <source>{spec}: {a_cell} has no {quantity}; choose one of {allowed}</source>
        <translation>{spec}：{a_cell} 没有 {quantity}；请从以下选择：{allowed}</translation>
    </message>
    <message>
        <source>{spec}: unit {unit} does not exist; this {quantity} has units 0..{last}</source>
        <translation>{spec}：单元 {unit} 不存在；这个 {quantity} 只有单元 0..{last}</translation>
    </message>
    <message>
        <source>{spec}: step {start} is outside the sequence; it has steps 0..{last}</source>
        <translation>{spec}：第 {start} 步在序列之外；序列只有第 0..{last} 步</translation>
    </message>
    <message>
        <source>{spec}: steps {start}..{end} are outside the sequence; it has steps 0..{last}</source>
        <translation>{spec}：第 {start}..{end} 步在序列之外；序列只有第 0..{last} 步</translation>
    </message>
    <message>
        <source>{spec}: cannot read the units {units}; give 8, 3,5,8, 8-11 or *</source>
        <translation>{spec}：无法读取单元 {units}；请写 8、3,5,8、8-11 或 *</translation>
    </message>
    <message>
        <source>{spec}: the unit range {part} runs backwards; write {hi}-{lo}</source>
        <translation>{spec}：单元范围 {part} 是倒序的；请写成 {hi}-{lo}</translation>
    </message>
    <message>
        <source>{spec}: cannot read the value {value}; give a number (set), *0.5 (scale) or +0.2 (add)</source>
        <translation>{spec}：无法读取值 {value}；请写一个数（设定）、*0.5（缩放）或 +0.2（加上）</translation>
    </message>
    <message>
        <source>{spec}: the value must be a finite number</source>
        <translation>{spec}：值必须是有限的数</translation>
    </message>
    <message>
        <source>{spec}: the steps {steps} hold none (the end is excluded); write {start}:{next} for step {start} alone</source>
        <translation>{spec}：时间步 {steps} 不含任何一步（不包括终点）；只要第 {start} 步请写 {start}:{next}</translation>
    </message>
    <message>
        <source>{spec}: cannot read the steps {steps}; give 10:, :20, 10:20 or 15</source>
        <translation>{spec}：无法读取时间步 {steps}；请写 10:、:20、10:20 或 15</translation>
    </message>
    <message>
        <source>the text contains characters the model&apos;s vocabulary lacks: {shown} (vocabulary has {n} characters)</source>
        <translation>文本中含有模型词表里没有的字符：{shown}（词表共有 {n} 个字符）</translation>
    </message>
    <message>
        <source>a gateviz model (.gvm), PyTorch state_dict (.pt/.pth/.bin), .safetensors, Keras (.h5/.keras), a tf.keras SavedModel folder, ONNX (.onnx) or a TensorFlow 1 checkpoint (.index/.meta/.data-*, its checkpoint file or folder)</source>
        <translation>gateviz 模型（.gvm）、PyTorch state_dict（.pt/.pth/.bin）、.safetensors、Keras（.h5/.keras）、tf.keras SavedModel 文件夹、ONNX（.onnx）或 TensorFlow 1 检查点（.index/.meta/.data-*、其 checkpoint 文件或所在文件夹）</translation>
    </message>
    <message>
        <source>no such file: {path}</source>
        <translation>文件不存在：{path}</translation>
    </message>
    <message>
        <source>{path} is a folder; give a model file ({supported})</source>
        <translation>{path} 是一个文件夹；请提供模型文件（{supported}）</translation>
    </message>
    <message>
        <source>{path} is empty (0 bytes); expected {supported}</source>
        <translation>{path} 是空文件（0 字节）；应为 {supported}</translation>
    </message>
    <message>
        <source>{path} is a zip archive but neither a PyTorch file (no data.pkl inside) nor a Keras .keras file (no config.json + model.weights.h5); expected {supported}</source>
        <translation>{path} 是 zip 压缩包，但既不是 PyTorch 文件（内无 data.pkl），也不是 Keras .keras 文件（内无 config.json 和 model.weights.h5）；应为 {supported}</translation>
    </message>
    <message>
        <source>{path} looks like a zip archive but it is damaged (truncated?); expected {supported}</source>
        <translation>{path} 看起来是 zip 压缩包，但已损坏（被截断？）；应为 {supported}</translation>
    </message>
    <message>
        <source>{path}: unrecognised file format; gateviz reads {supported}</source>
        <translation>{path}：无法识别的文件格式；gateviz 可以读取 {supported}</translation>
    </message>
    <message>
        <source>{path}: expected a numeric array, found dtype {dtype}</source>
        <translation>{path}：应为数值数组，实际数据类型为 {dtype}</translation>
    </message>
    <message>
        <source>{path}: a sequence file holds one sequence of shape (T, features) or (T,); found shape {shape}</source>
        <translation>{path}：序列文件应包含一个形状为 (T, 特征数) 或 (T,) 的序列；实际形状为 {shape}</translation>
    </message>
    <message>
        <source>{path}: not a text file; a .csv sequence holds rows of comma-separated numbers</source>
        <translation>{path}：不是文本文件；.csv 序列应由逗号分隔的数字行组成</translation>
    </message>
    <message>
        <source>{path}: row {row}, column {column}: {cell} is not a number</source>
        <translation>{path}：第 {row} 行第 {column} 列：{cell} 不是数字</translation>
    </message>
    <message>
        <source>{path}: row {row} has {n} value(s) but earlier rows have {width}; every row needs the same number of features</source>
        <translation>{path}：第 {row} 行有 {n} 个值，但前面的行有 {width} 个；每一行的特征数必须相同</translation>
    </message>
    <message>
        <source>{path}: the sequence is empty (no numeric rows); give one row per step</source>
        <translation>{path}：序列为空（没有数值行）；请每步写一行</translation>
    </message>
    <message>
        <source>{path}: not UTF-8 text</source>
        <translation>{path}：不是 UTF-8 文本</translation>
    </message>
    <message>
        <source>{path} is a folder; give a .npy, .csv or .txt sequence file</source>
        <translation>{path} 是一个文件夹；请提供 .npy、.csv 或 .txt 序列文件</translation>
    </message>
    <message>
        <source>{path}: a text model takes token ids of shape (T,) or a .txt file; found shape {shape}</source>
        <translation>{path}：文本模型接受形状为 (T,) 的词元编号或 .txt 文件；实际形状为 {shape}</translation>
    </message>
    <message>
        <source>{path}: this model reads {n} numeric feature(s) per step, not text; give a .npy or .csv sequence</source>
        <translation>{path}：这个模型每步读入 {n} 个数值特征，而不是文本；请提供 .npy 或 .csv 序列</translation>
    </message>
    <message>
        <source>{path}: unknown sequence file type {suffix}; give .npy (T, features), .csv (one row per step) or .txt (text models)</source>
        <translation>{path}：未知的序列文件类型 {suffix}；请提供 .npy（T, 特征数）、.csv（每步一行）或 .txt（文本模型）</translation>
    </message>
    <message>
        <source>{path}: {error}</source>
        <translation>{path}：{error}</translation>
    </message>
</context>
<context>
    <name>Measures</name>
    <message>
        <source>mean |Δ {what}|</source>
        <translation>{what}的平均 |Δ|</translation>
    </message>
    <message>
        <source>cell state</source>
        <translation>记忆元</translation>
    </message>
    <message>
        <source>input gate</source>
        <translation>输入门</translation>
    </message>
    <message>
        <source>forget gate</source>
        <translation>遗忘门</translation>
    </message>
    <message>
        <source>cell candidate</source>
        <translation>候选记忆元</translation>
    </message>
    <message>
        <source>output gate</source>
        <translation>输出门</translation>
    </message>
    <message>
        <source>reset gate</source>
        <translation>重置门</translation>
    </message>
    <message>
        <source>update gate</source>
        <translation>更新门</translation>
    </message>
    <message>
        <source>new gate</source>
        <translation>候选隐状态</translation>
    </message>
    <message>
        <source>{measure} over {source}</source>
        <translation>{source}上的{measure}</translation>
    </message>
    <message>
        <source> (baseline {value} with every unit on)</source>
        <translation>（所有单元开启时的基线为 {value}）</translation>
    </message>
    <message>
        <source>layer {layer}: {units} units, {silenced}; ranked by {what}{base}</source>
        <translation>第 {layer} 层：{units} 个单元，{silenced}；按{what}排序{base}</translation>
    </message>
    <message>
        <source>c set to 0 at every step (h is projected)</source>
        <translation>每一步都把 c 设为 0（h 经过投影）</translation>
    </message>
    <message>
        <source>h and c set to 0 at every step</source>
        <translation>每一步都把 h 和 c 设为 0</translation>
    </message>
    <message>
        <source>{what} set to 0 at every step</source>
        <translation>每一步都把{what}设为 0</translation>
    </message>
    <message>
        <source>the &apos;{name}&apos; sample</source>
        <translation>样本“{name}”</translation>
    </message>
    <message>
        <source>output</source>
        <translation>输出</translation>
    </message>
    <message>
        <source>top layer&apos;s output</source>
        <translation>最上层的输出</translation>
    </message>
    <message>
        <source>mean absolute change of the {what} over every step</source>
        <translation>{what}在所有时间步上的平均绝对变化</translation>
    </message>
    <message>
        <source>the input</source>
        <translation>当前输入</translation>
    </message>
    <message>
        <source>depth accuracy</source>
        <translation>深度准确率</translation>
    </message>
    <message>
        <source>share of steps whose predicted depth is right</source>
        <translation>预测深度正确的时间步所占比例</translation>
    </message>
    <message>
        <source>test MSE</source>
        <translation>测试集 MSE</translation>
    </message>
    <message>
        <source>mean squared error of the sum at the last step</source>
        <translation>最后一步所输出的和的均方误差</translation>
    </message>
    <message>
        <source>{n} held-out strings of the brackets task</source>
        <translation>括号任务的 {n} 个留出字符串</translation>
    </message>
    <message>
        <source>the text task&apos;s {n} sample passages</source>
        <translation>文本任务的 {n} 个样本段落</translation>
    </message>
    <message>
        <source>bits per character</source>
        <translation>每字符比特数</translation>
    </message>
    <message>
        <source>mean −log2 p(next character) the model gives the text&apos;s own next character</source>
        <translation>模型对文本中实际下一个字符给出的 −log2 p(下一个字符) 的平均值</translation>
    </message>
    <message>
        <source>mean squared error of the prediction after each held-out window</source>
        <translation>每个留出窗口之后那一步预测的均方误差</translation>
    </message>
    <message>
        <source>{n} held-out windows of the sine task</source>
        <translation>正弦任务的 {n} 个留出窗口</translation>
    </message>
    <message>
        <source>next-value MSE</source>
        <translation>下一个值的 MSE</translation>
    </message>
    <message>
        <source>mean squared error of each step&apos;s prediction of the input&apos;s next value (from step {first})</source>
        <translation>每一步对输入下一个值的预测的均方误差（从第 {first} 步起）</translation>
    </message>
    <message>
        <source>{n} held-out sequences of the adding task</source>
        <translation>加法问题的 {n} 个留出序列</translation>
    </message>
    <message>
        <source>squared error</source>
        <translation>平方误差</translation>
    </message>
    <message>
        <source>squared error of the sum at the last step</source>
        <translation>最后一步所输出的和的平方误差</translation>
    </message>
    <message>
        <source>exact sums</source>
        <translation>完全正确的和</translation>
    </message>
    <message>
        <source>share of sums with every bit right</source>
        <translation>每一位都正确的和所占比例</translation>
    </message>
    <message>
        <source>{n} held-out pairs of the binary-addition task</source>
        <translation>二进制加法任务的 {n} 对留出数</translation>
    </message>
    <message>
        <source>bit accuracy</source>
        <translation>位准确率</translation>
    </message>
    <message>
        <source>share of the sum&apos;s bits the model gets right</source>
        <translation>模型算对的和的位所占比例</translation>
    </message>
    <message>
        <source>{n} held-out images of the digits task</source>
        <translation>手写数字任务的 {n} 张留出图像</translation>
    </message>
    <message>
        <source>{n} sample images of the digits task</source>
        <translation>手写数字任务的 {n} 张样本图像</translation>
    </message>
    <message>
        <source>test accuracy</source>
        <translation>测试集准确率</translation>
    </message>
    <message>
        <source>share of images whose digit is named right</source>
        <translation>数字识别正确的图像所占比例</translation>
    </message>
    <message>
        <source>accuracy</source>
        <translation>准确率</translation>
    </message>
    <message>
        <source>whether the digit is named right</source>
        <translation>数字是否识别正确</translation>
    </message>
</context>
<context>
    <name>Tasks</name>
    <message>
        <source>marked at steps 2 and {second}: hold the first value for {hold} steps</source>
        <translation>标记在第 2 步和第 {second} 步：第一个值要保持 {hold} 步</translation>
    </message>
    <message>
        <source>The adding problem</source>
        <translation>加法问题</translation>
    </message>
    <message>
        <source>A value channel and a marker channel; exactly two steps are marked and the model outputs the sum of their values after the last step: it has to store a value and hold it.</source>
        <translation>一个数值通道和一个标记通道；恰有两个时间步被标记，模型在最后一步之后输出这两个值之和：它必须存下一个值并一直保持。</translation>
    </message>
    <message>
        <source>test MSE</source>
        <translation>测试集 MSE</translation>
    </message>
    <message>
        <source>sum of marked values</source>
        <translation>标记值之和</translation>
    </message>
    <message>
        <source>markers far apart</source>
        <translation>标记相距很远</translation>
    </message>
    <message>
        <source>markers adjacent</source>
        <translation>标记相邻</translation>
    </message>
    <message>
        <source>two neighbouring marked steps in the middle</source>
        <translation>中间两个相邻的时间步被标记</translation>
    </message>
    <message>
        <source>markers at the start</source>
        <translation>标记在开头</translation>
    </message>
    <message>
        <source>both values come first; then only the forget gate works</source>
        <translation>两个值都在最前面；之后只有遗忘门在工作</translation>
    </message>
    <message>
        <source>markers at the end</source>
        <translation>标记在结尾</translation>
    </message>
    <message>
        <source>both values arrive in the last two steps</source>
        <translation>两个值在最后两步才到来</translation>
    </message>
    <message>
        <source>{a} + 1: a carry runs through {bits} bits</source>
        <translation>{a} + 1：进位连续传过 {bits} 位</translation>
    </message>
    <message>
        <source>{a} + {b}: every step carries, the last bit is the carry out</source>
        <translation>{a} + {b}：每一步都进位，最后一位是最高位的进位</translation>
    </message>
    <message>
        <source>{a} + {b}: the bits never collide, no carry at all</source>
        <translation>{a} + {b}：各位从不同时为 1，完全没有进位</translation>
    </message>
    <message>
        <source>{a} + {b}: carries come and go</source>
        <translation>{a} + {b}：进位时有时无</translation>
    </message>
    <message>
        <source>Binary addition, bit by bit</source>
        <translation>二进制加法，逐位计算</translation>
    </message>
    <message>
        <source>Two 8-bit numbers are fed least significant bit first, one bit of each per step; the model outputs the sum&apos;s bit at every step and must remember the carry.</source>
        <translation>两个 8 位二进制数从最低位开始输入，每步各输入一位；模型在每一步输出和的对应位，必须记住进位。</translation>
    </message>
    <message>
        <source>exact sums</source>
        <translation>完全正确的和</translation>
    </message>
    <message>
        <source>sum bit</source>
        <translation>和的位</translation>
    </message>
    <message>
        <source>carry ripple</source>
        <translation>连续进位</translation>
    </message>
    <message>
        <source>carry out</source>
        <translation>最高位进位</translation>
    </message>
    <message>
        <source>no carry</source>
        <translation>无进位</translation>
    </message>
    <message>
        <source>mixed</source>
        <translation>混合</translation>
    </message>
    <message>
        <source>depth {d}</source>
        <translation>深度 {d}</translation>
    </message>
    <message>
        <source>{d} brackets open, then all close</source>
        <translation>先打开 {d} 个括号，再全部关闭</translation>
    </message>
    <message>
        <source>Bracket depth counting</source>
        <translation>括号深度计数</translation>
    </message>
    <message>
        <source>Strings of &apos;(&apos; and &apos;)&apos; with filler letters; at every character the model names the current nesting depth (0 to 8). An LSTM solves it with a visible counting cell.</source>
        <translation>由“(”“)”和填充字母组成的字符串；模型在每个字符处给出当前的嵌套深度（0 到 8）。LSTM 用一个清晰可见的计数记忆元解决它。</translation>
    </message>
    <message>
        <source>depth accuracy</source>
        <translation>深度准确率</translation>
    </message>
    <message>
        <source>deep nesting</source>
        <translation>深层嵌套</translation>
    </message>
    <message>
        <source>climbs to depth 7, falls to 1, climbs to 8 and closes everything</source>
        <translation>升到深度 7，降到 1，再升到 8，最后全部关闭</translation>
    </message>
    <message>
        <source>siblings</source>
        <translation>并列</translation>
    </message>
    <message>
        <source>many shallow groups side by side</source>
        <translation>许多浅层括号组并排</translation>
    </message>
    <message>
        <source>slow climb</source>
        <translation>缓慢攀升</translation>
    </message>
    <message>
        <source>open, close one, open two: a staircase</source>
        <translation>开一个、关一个、再开两个：像楼梯一样</translation>
    </message>
    <message>
        <source>column {c}</source>
        <translation>第 {c} 列</translation>
    </message>
    <message>
        <source>a {digit}</source>
        <translation>数字 {digit}</translation>
    </message>
    <message>
        <source>an MNIST test image of a {digit}</source>
        <translation>一张数字 {digit} 的 MNIST 测试图像</translation>
    </message>
    <message>
        <source>a held-out 8x8 test image of a {digit}, read one row per step</source>
        <translation>一张数字 {digit} 的 8×8 留出测试图像，每步读入一行</translation>
    </message>
    <message>
        <source>a held-out MNIST test image of a {digit}, read one row per step</source>
        <translation>一张数字 {digit} 的 MNIST 留出测试图像，每步读入一行</translation>
    </message>
    <message>
        <source>Handwritten digits, row by row</source>
        <translation>手写数字，逐行读取</translation>
    </message>
    <message>
        <source>A handwritten digit is read one pixel row per step; after the last row the model names the digit. Default data: scikit-learn&apos;s 8x8 digits (offline); MNIST from its IDX files on request.</source>
        <translation>每步读入手写数字图像的一行像素；读完最后一行后模型给出是哪个数字。默认数据：scikit-learn 自带的 8×8 数字（无需联网）；也可按需读取 MNIST 的 IDX 文件。</translation>
    </message>
    <message>
        <source>test accuracy</source>
        <translation>测试集准确率</translation>
    </message>
    <message>
        <source>Sine wave: predict the next value</source>
        <translation>正弦波：预测下一个值</translation>
    </message>
    <message>
        <source>Windows of 50 steps of sin(x) sampled at 1000 points on [-100, 100]; the model predicts the next value at every step and can roll the wave out by feeding its predictions back.</source>
        <translation>在 [-100, 100] 上取 1000 个点的 sin(x)，截成 50 步的窗口；模型在每一步预测下一个值，并可把预测回送作为输入，自行延续波形。</translation>
    </message>
    <message>
        <source>next value</source>
        <translation>下一个值</translation>
    </message>
    <message>
        <source>held-out window</source>
        <translation>留出窗口</translation>
    </message>
    <message>
        <source>a window the model never trained on; watch the rollout continue it</source>
        <translation>模型训练时从未见过的窗口；观察自回归预测如何延续它</translation>
    </message>
    <message>
        <source>first window</source>
        <translation>第一个窗口</translation>
    </message>
    <message>
        <source>the very start of the series, x from -100</source>
        <translation>序列的最开头，x 从 -100 起</translation>
    </message>
    <message>
        <source>around x = 0</source>
        <translation>x = 0 附近</translation>
    </message>
    <message>
        <source>a window centred on x = 0</source>
        <translation>以 x = 0 为中心的窗口</translation>
    </message>
    <message>
        <source>held-out passage {n}</source>
        <translation>留出段落 {n}</translation>
    </message>
    <message>
        <source>indentation and quotes</source>
        <translation>缩进与引号</translation>
    </message>
    <message>
        <source>a function with a docstring, nested blocks and both kinds of quotes</source>
        <translation>一个带文档字符串、嵌套代码块和两种引号的函数</translation>
    </message>
    <message>
        <source>nested brackets</source>
        <translation>嵌套括号</translation>
    </message>
    <message>
        <source>calls inside lists inside calls: a cell tracks the open brackets</source>
        <translation>调用里套列表、列表里套调用：有一个记忆元跟踪未闭合的括号</translation>
    </message>
    <message>
        <source>a comment and a string</source>
        <translation>注释与字符串</translation>
    </message>
    <message>
        <source>prose inside code: the model switches style after &apos;#&apos; and inside quotes</source>
        <translation>代码中的自然语言：模型在“#”之后和引号之内切换风格</translation>
    </message>
    <message>
        <source>sums with carries</source>
        <translation>带进位的加法</translation>
    </message>
    <message>
        <source>a cell holds &apos;inside the answer&apos; from 等于 to 。; carries make 百 appear</source>
        <translation>有一个记忆元从“等于”到“。”一直记着“正在写答案”；进位会让“百”出现</translation>
    </message>
    <message>
        <source>tens and hundreds</source>
        <translation>十位与百位</translation>
    </message>
    <message>
        <source>十 after a tens digit, 十 alone for 10..19, 百 after a hundreds digit, 一百零五 and 一百一十</source>
        <translation>十位数字后接“十”，10 到 19 只写“十”，百位数字后接“百”，还有“一百零五”和“一百一十”</translation>
    </message>
    <message>
        <source>dates</source>
        <translation>日期</translation>
    </message>
    <message>
        <source>the year digit by digit with 〇, month and day as numbers; 年 月 日 close the parts</source>
        <translation>年份逐位书写（含“〇”），月和日按数值书写；“年”“月”“日”结束各部分</translation>
    </message>
    <message>
        <source>300 characters from the held-out part of the text</source>
        <translation>取自文本留出部分的 300 个字符</translation>
    </message>
    <message>
        <source>Character-level language model</source>
        <translation>字符级语言模型</translation>
    </message>
    <message>
        <source>A character model predicts the next character at every step (Karpathy&apos;s char-rnn). The default corpus is Python&apos;s own standard library source, so cells that track quotes, indentation and brackets can emerge.</source>
        <translation>字符模型在每一步预测下一个字符（Karpathy 的 char-rnn）。默认语料是 Python 标准库的源代码，因此会出现跟踪引号、缩进和括号的记忆元。</translation>
    </message>
    <message>
        <source>bits/char below unigram</source>
        <translation>比一元模型少的比特/字符</translation>
    </message>
</context>
</TS>
